//! Framing: a 4-byte big-endian length, then that many bytes of UTF-8 JSON.
//!
//! The length is checked against the limit before anything is allocated,
//! on every frame, and the buffer then grows with the bytes that actually
//! arrive (a peer that announces a megabyte and sends ten bytes holds ten
//! bytes of memory, not a megabyte). A frame over the limit, an empty frame,
//! or a payload that is not a message is a [`FrameError`], and the
//! connection that sent it is answered and closed without touching any other.

use std::io;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The largest payload accepted, in bytes.
pub const MAX_FRAME: usize = 1024 * 1024;

/// What a frame's buffer starts with; it grows as the payload arrives.
const INITIAL_CAPACITY: usize = 8 * 1024;

/// The largest answer a client accepts from a server, in bytes. What a
/// server accepts stays at [`MAX_FRAME`]; an answer can be far larger: the
/// status of a server holding 100,000 checkouts is about 30 MiB.
pub const MAX_ANSWER: usize = 1024 * 1024 * 1024;

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {0} bytes is larger than the {MAX_FRAME}-byte limit")]
    TooLarge(usize),
    #[error("empty frame")]
    Empty,
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("connection closed")]
    Closed,
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Reads one frame's payload; `Closed` on a clean end of stream between frames.
pub async fn read_frame<R: AsyncRead + Unpin>(r: &mut R) -> Result<Vec<u8>, FrameError> {
    read_frame_within(r, MAX_FRAME).await
}

/// Reads one frame's payload of at most `max` bytes.
async fn read_frame_within<R: AsyncRead + Unpin>(
    r: &mut R,
    max: usize,
) -> Result<Vec<u8>, FrameError> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(FrameError::Closed),
        Err(e) => return Err(e.into()),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(FrameError::TooLarge(len));
    }
    if len == 0 {
        return Err(FrameError::Empty);
    }
    let mut payload = Vec::with_capacity(len.min(INITIAL_CAPACITY));
    let read = r.take(len as u64).read_to_end(&mut payload).await?;
    if read < len {
        return Err(FrameError::Io(io::ErrorKind::UnexpectedEof.into()));
    }
    Ok(payload)
}

/// Reads and decodes one message.
pub async fn read_message<R, T>(r: &mut R) -> Result<T, FrameError>
where
    R: AsyncRead + Unpin,
    T: DeserializeOwned,
{
    let payload = read_frame(r).await?;
    decode(&payload)
}

/// Reads and decodes one answer from a server (at most [`MAX_ANSWER`] bytes).
pub async fn read_answer<R, T>(r: &mut R) -> Result<T, FrameError>
where
    R: AsyncRead + Unpin,
    T: DeserializeOwned,
{
    let payload = read_frame_within(r, MAX_ANSWER).await?;
    decode(&payload)
}

/// Decodes a payload.
pub fn decode<T: DeserializeOwned>(payload: &[u8]) -> Result<T, FrameError> {
    serde_json::from_slice(payload).map_err(|e| FrameError::Malformed(e.to_string()))
}

/// The protocol version and request id of a payload that did not decode as
/// a message, when it has them: a newer client's request can then be refused
/// for its version rather than for its shape.
pub fn decode_header(payload: &[u8]) -> Option<(u32, u64)> {
    #[derive(serde::Deserialize)]
    struct Header {
        v: u32,
        #[serde(default)]
        id: u64,
    }
    serde_json::from_slice::<Header>(payload)
        .ok()
        .map(|h| (h.v, h.id))
}

/// Encodes a message as a whole frame (length prefix included).
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    let mut buf = vec![0u8; 4];
    serde_json::to_writer(&mut buf, message).expect("messages always serialize");
    let len = u32::try_from(buf.len() - 4).expect("messages are far below 4 GiB");
    buf[..4].copy_from_slice(&len.to_be_bytes());
    buf
}

/// Writes one message as a frame.
pub async fn write_message<W, T>(w: &mut W, message: &T) -> io::Result<()>
where
    W: AsyncWrite + Unpin,
    T: Serialize,
{
    w.write_all(&encode(message)).await?;
    w.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_frame_round_trips() {
        let bytes = encode(&serde_json::json!({"a": 1}));
        let back: serde_json::Value = read_message(&mut bytes.as_slice()).await.unwrap();
        assert_eq!(back["a"], 1);
    }

    #[tokio::test]
    async fn an_answer_may_be_larger_than_a_request() {
        let big = "x".repeat(2 * MAX_FRAME);
        let bytes = encode(&serde_json::json!({ "a": big }));
        let err = read_message::<_, serde_json::Value>(&mut bytes.as_slice()).await;
        assert!(matches!(err, Err(FrameError::TooLarge(_))));
        let back: serde_json::Value = read_answer(&mut bytes.as_slice()).await.unwrap();
        assert_eq!(back["a"].as_str().map(str::len), Some(2 * MAX_FRAME));
    }

    #[tokio::test]
    async fn an_oversized_length_is_refused_before_reading_the_payload() {
        let mut bytes = (u32::MAX).to_be_bytes().to_vec();
        bytes.extend_from_slice(b"short");
        let err = read_frame(&mut bytes.as_slice()).await.unwrap_err();
        assert!(matches!(err, FrameError::TooLarge(n) if n == u32::MAX as usize));
    }

    #[tokio::test]
    async fn empty_truncated_and_malformed_frames_are_errors() {
        let empty = 0u32.to_be_bytes();
        assert!(matches!(
            read_frame(&mut empty.as_slice()).await,
            Err(FrameError::Empty)
        ));
        let mut truncated = 10u32.to_be_bytes().to_vec();
        truncated.extend_from_slice(b"abc");
        assert!(matches!(
            read_frame(&mut truncated.as_slice()).await,
            Err(FrameError::Io(_))
        ));
        let mut garbage = 3u32.to_be_bytes().to_vec();
        garbage.extend_from_slice(b"{{{");
        let r: Result<serde_json::Value, _> = read_message(&mut garbage.as_slice()).await;
        assert!(matches!(r, Err(FrameError::Malformed(_))));
        assert!(matches!(
            read_frame(&mut [].as_slice()).await,
            Err(FrameError::Closed)
        ));
    }

    #[tokio::test]
    async fn a_frame_larger_than_the_first_buffer_is_read_whole() {
        let text = "x".repeat(3 * INITIAL_CAPACITY);
        let bytes = encode(&text);
        let back: String = read_message(&mut bytes.as_slice()).await.unwrap();
        assert_eq!(back, text);
    }

    #[test]
    fn the_header_of_an_unreadable_message_is_found_when_present() {
        assert_eq!(
            decode_header(br#"{"v":7,"id":3,"body":{"type":"new"}}"#),
            Some((7, 3))
        );
        assert_eq!(decode_header(b"{{{"), None);
        assert_eq!(decode_header(br#"{"id":3}"#), None);
    }
}
