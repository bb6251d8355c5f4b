//! Fuzz target for the protocol's frame reader and message decoding: the
//! bytes a peer sends on a connection, read frame after frame as the server
//! (and the client library) read them.
//!
//! Properties checked:
//! 1. Reading frames and decoding them as requests (what the server does)
//!    and as responses (what a product does with a hostile server's
//!    answers) never panics, hangs or allocates without bound.
//! 2. No frame longer than the limit is ever returned.
//! 3. A request or response that decodes encodes to a frame that decodes
//!    to the same message (what the server sends is what a peer reads).
//! 4. The header read from a payload (used to refuse another protocol
//!    version) agrees with the request when the payload is one. (It may
//!    also be found in a payload that is not valid JSON throughout:
//!    serde_json skips the fields a header does not read without checking
//!    them, which is all a version refusal needs.)

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use lmutil::protocol::frame::{FrameError, decode_header, read_frame};
use lmutil::protocol::{Envelope, MAX_FRAME, Request, Response, decode, encode};

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
    })
}

/// The message decodes from its own encoding to itself.
fn round_trips<T>(message: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let frame = encode(message);
    let back: T = decode(&frame[4..]).expect("an encoded message decodes");
    assert_eq!(&back, message);
}

fuzz_target!(|data: &[u8]| {
    runtime().block_on(async {
        let mut stream = data;
        // At most as many frames as there can be 5-byte frames in the input.
        for _ in 0..=data.len() / 5 {
            let payload = match read_frame(&mut stream).await {
                Ok(p) => p,
                Err(FrameError::Closed | FrameError::Io(_)) => break,
                Err(FrameError::TooLarge(n)) => {
                    assert!(n > MAX_FRAME);
                    break;
                }
                Err(FrameError::Empty) => continue,
                Err(FrameError::Malformed(_)) => unreachable!("read_frame does not decode"),
            };
            assert!(!payload.is_empty() && payload.len() <= MAX_FRAME);
            let header = decode_header(&payload);
            if let Ok(request) = decode::<Envelope<Request>>(&payload) {
                assert_eq!(header, Some((request.v, request.id)));
                round_trips(&request);
            }
            if let Ok(response) = decode::<Envelope<Response>>(&payload) {
                round_trips(&response);
            }
        }
    });
});
