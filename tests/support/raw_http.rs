//! A raw HTTP/1.1 client for the proxy tests: the bytes sent are exactly
//! the test's (hop-by-hop headers, `Expect: 100-continue`, chunked bodies,
//! `Connection: close`), and a reply is read as it arrived, interim `100`
//! included. Every read is bounded by a timeout, so a test fails rather
//! than hangs. Used by tests/proxy*.rs through `#[path]`.

// Each includer uses a different part of this module.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The longest any read waits.
const TIMEOUT: Duration = Duration::from_secs(20);

/// One response as it came: status, headers in order (names lower case),
/// body (de-chunked).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// The first value of `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// A connection to a server.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    /// Connects to `addr`.
    pub async fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).unwrap();
        Self {
            stream,
            buf: Vec::new(),
        }
    }

    /// Writes `bytes`.
    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    /// Writes `bytes`, or tells that the server closed first.
    pub async fn try_send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await
    }

    /// Reads the next response head and its body (none for 1xx, 204,
    /// 304 or the reply to a HEAD).
    pub async fn reply(&mut self) -> Reply {
        tokio::time::timeout(TIMEOUT, self.read_reply())
            .await
            .expect("a reply in time")
    }

    /// Reads the next response, skipping nothing: a `100 Continue` is
    /// returned as it is.
    async fn read_reply(&mut self) -> Reply {
        let end = loop {
            if let Some(at) = find(&self.buf, b"\r\n\r\n") {
                break at;
            }
            self.fill().await.expect("a response head before the close");
        };
        let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
        self.buf.drain(..end + 4);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let mut reply = Reply {
            status,
            headers,
            body: Vec::new(),
        };
        if (100..200).contains(&status) || status == 204 || status == 304 {
            return reply;
        }
        let chunked = reply
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
        if chunked {
            reply.body = self.chunked_body().await;
        } else if let Some(length) = reply.header("content-length") {
            let length: usize = length.parse().expect("content-length");
            while self.buf.len() < length {
                self.fill().await.expect("the whole body");
            }
            reply.body = self.buf.drain(..length).collect();
        } else {
            while self.fill().await.is_some() {}
            reply.body = std::mem::take(&mut self.buf);
        }
        reply
    }

    async fn chunked_body(&mut self) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(at) = find(&self.buf, b"\r\n") {
                    break at;
                }
                self.fill().await.expect("a chunk size");
            };
            let line = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
            self.buf.drain(..line_end + 2);
            let size = usize::from_str_radix(line.split(';').next().unwrap().trim(), 16)
                .expect("chunk size");
            if size == 0 {
                // Trailers (none expected), then the blank line.
                loop {
                    if let Some(at) = find(&self.buf, b"\r\n") {
                        let empty = at == 0;
                        self.buf.drain(..at + 2);
                        if empty {
                            return body;
                        }
                    } else {
                        self.fill().await.expect("the end of the chunked body");
                    }
                }
            }
            while self.buf.len() < size + 2 {
                self.fill().await.expect("a whole chunk");
            }
            body.extend_from_slice(&self.buf[..size]);
            self.buf.drain(..size + 2);
        }
    }

    /// Reads more into the buffer; `None` at the end of the stream.
    async fn fill(&mut self) -> Option<usize> {
        // Into the buffer itself: a buffer on the stack would be held by
        // every future above this one.
        self.buf.reserve(64 * 1024);
        match self.stream.read_buf(&mut self.buf).await {
            Ok(0) | Err(_) => None,
            Ok(n) => Some(n),
        }
    }

    /// Whether the server closes the connection (within a few seconds),
    /// with nothing more sent.
    pub async fn closed_by_server(&mut self) -> bool {
        let wait = tokio::time::timeout(Duration::from_secs(5), self.fill()).await;
        matches!(wait, Ok(None)) && self.buf.is_empty()
    }

    /// Whether anything arrives within `wait` (it should not, before a
    /// `100 Continue` that is not due).
    pub async fn quiet_for(&mut self, wait: Duration) -> bool {
        self.buf.is_empty() && tokio::time::timeout(wait, self.fill()).await.is_err()
    }

    /// The stream, for a protocol after an upgrade.
    pub fn into_stream(self) -> (TcpStream, Vec<u8>) {
        (self.stream, self.buf)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A request head: `METHOD PATH HTTP/1.1`, `host`, then `headers`.
pub fn head(method: &str, path: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut text = format!("{method} {path} HTTP/1.1\r\nhost: client-side.example\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.into_bytes()
}

/// `body` as chunks of at most `size` bytes, with the last chunk.
pub fn chunked(body: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in body.chunks(size) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// A form body of exactly `len` bytes: `name=<text>` padded with `+`.
pub fn form_of_len(name: &str, text: &str, len: usize) -> Vec<u8> {
    let mut body = format!("{name}={}", text.replace(' ', "+")).into_bytes();
    assert!(body.len() <= len, "{len} is too short for {text:?}");
    body.resize(len, b'+');
    body
}

/// Sends one request (head and body) on a new connection and reads the
/// reply.
pub async fn exchange(addr: SocketAddr, request: &[u8]) -> Reply {
    let mut conn = Conn::open(addr).await;
    conn.send(request).await;
    conn.reply().await
}

/// A request with a `content-length` body.
pub fn with_body(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let length = body.len().to_string();
    let mut all = headers.to_vec();
    all.push(("content-length", &length));
    let mut request = head(method, path, &all);
    request.extend_from_slice(body);
    request
}
