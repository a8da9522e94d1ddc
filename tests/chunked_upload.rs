//! A 64 MiB aws-chunked upload over loopback: a hyper client streams it
//! with `AwsChunkedBody` (generated as it is sent, never held), an axum
//! handler behind `SigV4Layer` reads it as checked data and hashes it.
//! Memory stays bounded: a global allocator counts live heap bytes, and
//! their peak during the upload stays far below the body's size. A
//! tampered upload fails inside the handler's read.
//!
//! Its own test binary: the allocator counts every thread of the process.

use std::alloc::{GlobalAlloc, Layout, System};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use axum::extract::Extension;
use axum::routing::put;
use axum::Router;
use bytes::Bytes;
use http::Request;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sha2::{Digest, Sha256};
use sigv4::verify::tower::SigV4Layer;
use sigv4::verify::{PayloadCheck, Verified, Verifier};
use sigv4::{AwsChunkedBody, ChunkedUpload, Credentials, Signer, SigningTime};

/// `System`, counting live bytes and their peak.
struct Live;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Live {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let now = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed)
                + (new_size - layout.size());
            PEAK.fetch_max(now, Ordering::Relaxed);
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Live = Live;

const SIZE: u64 = 64 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// The body's byte at `offset`: a pattern both sides can recompute.
fn byte_at(offset: u64) -> u8 {
    (offset.wrapping_mul(2_654_435_761) >> 13) as u8
}

/// A body made as it is sent: `len` bytes of the pattern, in 32 KiB
/// frames, optionally with one byte flipped at `flip`.
struct Generated {
    sent: u64,
    len: u64,
    flip: Option<u64>,
}

impl Body for Generated {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.sent == self.len {
            return Poll::Ready(None);
        }
        let n = (self.len - self.sent).min(32 * 1024);
        let start = self.sent;
        let mut frame: Vec<u8> = (start..start + n).map(byte_at).collect();
        if let Some(at) = self.flip.filter(|&at| (start..start + n).contains(&at)) {
            frame[(at - start) as usize] ^= 1;
        }
        self.sent += n;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(frame)))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len - self.sent)
    }
}

fn credentials() -> Credentials {
    Credentials::new("AKIDUPLOAD", "upload/secret+key").unwrap()
}

/// What the handler made of the last upload.
type Seen = std::sync::Arc<std::sync::Mutex<Option<String>>>;

/// The router: `PUT /upload` hashes the checked body as it streams and
/// answers (and records in the returned `Seen`) `<bytes> <sha256>`, or
/// `failed: <error>`.
async fn serve() -> (String, Seen) {
    let seen = Seen::default();
    let record = seen.clone();
    let known = credentials();
    let verifier = Verifier::neptune("us-east-1", move |id: &str| {
        (id == known.access_key_id()).then(|| known.clone())
    })
    .unwrap();
    let app = Router::new()
        .route(
            "/upload",
            put(
                move |Extension(verified): Extension<Verified>, body: axum::body::Body| async move {
                    assert!(matches!(verified.payload, PayloadCheck::Chunked(_)));
                    let mut body = body;
                    let (mut len, mut hash) = (0u64, Sha256::new());
                    while let Some(frame) = body.frame().await {
                        match frame {
                            Ok(frame) => {
                                if let Ok(data) = frame.into_data() {
                                    len += data.len() as u64;
                                    hash.update(&data);
                                }
                            }
                            Err(e) => {
                                let answer = format!("failed: {e}");
                                *record.lock().unwrap() = Some(answer.clone());
                                return answer;
                            }
                        }
                    }
                    let answer = format!("{len} {}", hex::encode(hash.finalize()));
                    *record.lock().unwrap() = Some(answer.clone());
                    answer
                },
            ),
        )
        .layer(SigV4Layer::new(verifier).with_max_chunk_size(1024 * 1024));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

/// Uploads the 64 MiB pattern (flipped at `flip`, after signing) and
/// returns the response, or the client's error (a server that stops
/// reading a bad upload may close the connection while it is sent).
async fn upload(url: &str, flip: Option<u64>) -> Result<String, String> {
    let upload = ChunkedUpload::signed(SIZE, CHUNK).unwrap();
    let mut request = Request::put(format!("{url}/upload")).body(()).unwrap();
    let encoder = Signer::neptune("us-east-1")
        .unwrap()
        .sign_chunked(&mut request, &credentials(), SigningTime::now(), &upload)
        .unwrap();
    let request = request.map(|()| {
        AwsChunkedBody::new(
            Generated {
                sent: 0,
                len: SIZE,
                flip: None,
            },
            encoder,
        )
    });
    // The flip happens after the chunk signer saw the data: swap in a
    // body that differs from what was signed, through a second encoder.
    let request = match flip {
        None => request.map(|b| b.boxed_unsync()),
        Some(at) => request.map(|body| Tampered { body, at, seen: 0 }.boxed_unsync()),
    };
    let client = Client::builder(TokioExecutor::new()).build_http();
    let response = client.request(request).await.map_err(|e| e.to_string())?;
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The encoded body with one byte flipped at decoded offset `at` (a byte
/// of chunk data, found by skipping the framing).
struct Tampered<B> {
    body: B,
    at: u64,
    seen: u64,
}

impl<B: Body<Data = Bytes> + Unpin> Body for Tampered<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let frame = frame.map_data(|data| {
                    let start = this.seen;
                    this.seen += data.len() as u64;
                    // AwsChunkedBody sends each chunk's data as a frame of
                    // its own: flip within the first data frame past `at`.
                    if data.len() == CHUNK && start >= this.at && this.at != u64::MAX {
                        this.at = u64::MAX;
                        let mut changed = data.to_vec();
                        changed[100] ^= 1;
                        return Bytes::from(changed);
                    }
                    data
                });
                Poll::Ready(Some(Ok(frame)))
            }
            other => other,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_64_mib_upload_streams_checked_in_bounded_memory() {
    let (url, seen) = serve().await;
    let expected = {
        let mut hash = Sha256::new();
        let mut offset = 0;
        let mut buf = vec![0u8; 1 << 20];
        while offset < SIZE {
            for (i, b) in buf.iter_mut().enumerate() {
                *b = byte_at(offset + i as u64);
            }
            hash.update(&buf);
            offset += buf.len() as u64;
        }
        format!("{SIZE} {}", hex::encode(hash.finalize()))
    };

    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let answer = upload(&url, None).await.unwrap();
    let peak = PEAK.load(Ordering::Relaxed) - before;
    assert_eq!(answer, expected);
    eprintln!("peak live heap during the 64 MiB upload: {peak} bytes");
    assert!(
        peak < 8 * 1024 * 1024,
        "peak live heap during a 64 MiB upload: {peak} bytes"
    );

    // Tampered: the handler's read fails at the changed chunk.
    let _ = upload(&url, Some(10 * 1024 * 1024)).await;
    let answer = seen.lock().unwrap().clone().unwrap_or_default();
    assert!(
        answer.starts_with("failed: aws-chunked: chunk ")
            && answer.contains("signature does not match"),
        "{answer}"
    );
}
