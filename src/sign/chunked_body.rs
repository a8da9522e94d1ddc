//! An [`http_body::Body`] that sends another body as aws-chunked (feature
//! `streaming-body`): the request is signed with
//! [`Signer::sign_chunked`](crate::Signer::sign_chunked), and this body
//! writes the framing around the inner body's data as it streams, a chunk
//! at a time. It reads the inner body only when it needs more for the next
//! chunk (back-pressure), and holds at most one chunk.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};

use crate::core::chunked::ChunkedEncoder;

/// What a [`AwsChunkedBody`] fails with: the inner body's error, or a body
/// that does not hold the decoded length the request was signed for.
pub type AwsChunkedBodyError = Box<dyn std::error::Error + Send + Sync>;

/// A body sent as aws-chunked. See the module docs.
///
/// # Examples
///
/// ```
/// use http_body_util::{BodyExt, Full};
/// use sigv4::{AwsChunkedBody, ChunkedUpload, Credentials, Region, Service, Signer, SigningSettings, SigningTime};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let signer = Signer::new(Region::new("us-east-1")?, Service::new("s3")?)
///     .with_settings(SigningSettings::s3());
/// let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")?;
/// let data = bytes::Bytes::from(vec![b'a'; 66_560]);
/// let upload = ChunkedUpload::signed(data.len() as u64, 64 * 1024)?;
/// let mut request = http::Request::put("https://s3.amazonaws.com/examplebucket/chunkObject.txt")
///     .body(())?;
/// let encoder = signer.sign_chunked(&mut request, &creds, SigningTime::parse("20130524T000000Z")?, &upload)?;
/// let request = request.map(|()| AwsChunkedBody::new(Full::new(data), encoder));
///
/// let sent = request.into_body().collect().await?.to_bytes();
/// assert_eq!(sent.len(), 66_824);
/// assert!(sent.starts_with(b"10000;chunk-signature="));
/// # Ok(()) }
/// ```
pub struct AwsChunkedBody<B> {
    inner: Pin<Box<B>>,
    encoder: Option<ChunkedEncoder>,
    chunk_size: usize,
    /// Data read from the inner body, not yet framed (less than a chunk,
    /// plus what one inner frame brought).
    pending: BytesMut,
    /// Framed pieces ready to send: size line, data, CRLF.
    ready: VecDeque<Bytes>,
    inner_done: bool,
    remaining: u64,
}

impl<B> fmt::Debug for AwsChunkedBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsChunkedBody")
            .field("chunk_size", &self.chunk_size)
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

impl<B> AwsChunkedBody<B> {
    /// Sends `inner` as aws-chunked, framed by `encoder` (from
    /// [`Signer::sign_chunked`](crate::Signer::sign_chunked)). `inner` must
    /// hold exactly the upload's decoded length, or the body fails.
    pub fn new(inner: B, encoder: ChunkedEncoder) -> Self {
        let upload = *encoder.upload();
        let remaining = upload.encoded_length().unwrap_or(u64::MAX);
        Self {
            inner: Box::pin(inner),
            chunk_size: upload.chunk_size(),
            encoder: Some(encoder),
            pending: BytesMut::new(),
            ready: VecDeque::new(),
            inner_done: false,
            remaining,
        }
    }

    /// Frames one chunk of `pending` (all of it at the end of the data).
    fn frame_chunk(&mut self) -> Result<(), AwsChunkedBodyError> {
        let take = self.chunk_size.min(self.pending.len());
        let data = self.pending.split_to(take).freeze();
        let Some(encoder) = self.encoder.as_mut() else {
            return Err("aws-chunked body framed after its end".into());
        };
        let mut header = Vec::with_capacity(crate::core::chunked::MAX_CHUNK_HEADER_LEN);
        encoder.write_chunk_header(&data, &mut header)?;
        self.ready.push_back(Bytes::from(header));
        self.ready.push_back(data);
        self.ready.push_back(Bytes::from_static(b"\r\n"));
        Ok(())
    }

    /// Frames the end: the final chunk and the trailer.
    fn frame_end(&mut self) -> Result<(), AwsChunkedBodyError> {
        let Some(encoder) = self.encoder.take() else {
            return Ok(());
        };
        let mut end = Vec::with_capacity(256);
        encoder.finish(&mut end)?;
        self.ready.push_back(Bytes::from(end));
        Ok(())
    }
}

impl<B> Body for AwsChunkedBody<B>
where
    B: Body,
    B::Error: Into<AwsChunkedBodyError>,
{
    type Data = Bytes;
    type Error = AwsChunkedBodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        loop {
            if let Some(piece) = this.ready.pop_front() {
                this.remaining = this.remaining.saturating_sub(piece.len() as u64);
                return Poll::Ready(Some(Ok(Frame::data(piece))));
            }
            if this.pending.len() >= this.chunk_size
                || (this.inner_done && !this.pending.is_empty())
            {
                if let Err(e) = this.frame_chunk() {
                    return Poll::Ready(Some(Err(e)));
                }
                continue;
            }
            if this.inner_done {
                if this.encoder.is_none() {
                    return Poll::Ready(None);
                }
                if let Err(e) = this.frame_end() {
                    return Poll::Ready(Some(Err(e)));
                }
                continue;
            }
            match this.inner.as_mut().poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => this.inner_done = true,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.into()))),
                Poll::Ready(Some(Ok(frame))) => {
                    // The inner body's trailers are not part of the data.
                    if let Ok(mut data) = frame.into_data() {
                        while data.has_remaining() {
                            let piece = data.chunk();
                            let n = piece.len();
                            this.pending.extend_from_slice(piece);
                            data.advance(n);
                        }
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner_done && self.encoder.is_none() && self.ready.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}
