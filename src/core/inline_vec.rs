//! A vector that lives on the stack up to `N` items and spills to the heap
//! past that, so that typical requests sort their headers and query
//! parameters without allocating. Safe code only: the inline array is fully
//! initialised with `T::default()`.

pub(crate) enum InlineVec<T: Copy + Default, const N: usize> {
    Inline { items: [T; N], len: usize },
    Heap(Vec<T>),
}

impl<T: Copy + Default, const N: usize> InlineVec<T, N> {
    #[inline]
    pub(crate) fn new() -> Self {
        Self::Inline {
            items: [T::default(); N],
            len: 0,
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, item: T) {
        match self {
            Self::Inline { items, len } if *len < N => {
                items[*len] = item;
                *len += 1;
            }
            Self::Inline { items, len } => {
                let mut heap = Vec::with_capacity(N * 2);
                heap.extend_from_slice(&items[..*len]);
                heap.push(item);
                *self = Self::Heap(heap);
            }
            Self::Heap(heap) => heap.push(item),
        }
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        match self {
            Self::Inline { items, len } => &items[..*len],
            Self::Heap(heap) => heap,
        }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        match self {
            Self::Inline { items, len } => &mut items[..*len],
            Self::Heap(heap) => heap,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::InlineVec;

    #[test]
    fn spills_past_capacity_keeping_order() {
        let mut v: InlineVec<u32, 2> = InlineVec::new();
        for i in 0..5 {
            v.push(i);
        }
        assert_eq!(v.as_slice(), &[0, 1, 2, 3, 4]);
        v.as_mut_slice().reverse();
        assert_eq!(v.as_slice(), &[4, 3, 2, 1, 0]);
    }
}
