//! Event streams against data nobody here wrote: every envelope, byte for
//! byte, and every signature equal aws-sigv4 1.6.4's (`sign_message`,
//! `sign_empty_message`), and the message codec equal
//! aws-smithy-eventstream's, over generated messages. Then the verifier's
//! side: signed streams check, in pieces of any size; changed, reordered,
//! late, truncated or extended streams are refused, each with its error.

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials as AwsCredentials;
use aws_smithy_types::event_stream as aws;
use proptest::prelude::*;
use sigv4::eventstream::{EventError, FrameReader, HeaderValue, Message};
use sigv4::verify::{PayloadCheck, Verifier};
use sigv4::{Credentials, Payload, Region, Service, Signature, Signer, SigningTime};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn signer() -> Signer {
    Signer::new(
        Region::new("us-west-2").unwrap(),
        Service::new("transcribe").unwrap(),
    )
}

fn credentials() -> Credentials {
    Credentials::new("AKIDEXAMPLE", SECRET).unwrap()
}

/// A generated header value, as both codecs spell it.
fn value() -> impl Strategy<Value = (HeaderValue, aws::HeaderValue)> {
    prop_oneof![
        any::<bool>().prop_map(|b| (HeaderValue::Bool(b), aws::HeaderValue::Bool(b))),
        any::<i8>().prop_map(|v| (HeaderValue::Byte(v), aws::HeaderValue::Byte(v))),
        any::<i16>().prop_map(|v| (HeaderValue::Int16(v), aws::HeaderValue::Int16(v))),
        any::<i32>().prop_map(|v| (HeaderValue::Int32(v), aws::HeaderValue::Int32(v))),
        any::<i64>().prop_map(|v| (HeaderValue::Int64(v), aws::HeaderValue::Int64(v))),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|v| (
            HeaderValue::Bytes(v.clone()),
            aws::HeaderValue::ByteArray(v.into())
        )),
        "[ -~]{0,40}".prop_map(|s| (
            HeaderValue::String(s.clone()),
            aws::HeaderValue::String(s.into())
        )),
        (-1_000_000_000_000i64..4_000_000_000_000).prop_map(|ms| (
            HeaderValue::Timestamp(ms),
            aws::HeaderValue::Timestamp(aws_smithy_types::DateTime::from_millis(ms))
        )),
        any::<[u8; 16]>().prop_map(|u| (
            HeaderValue::Uuid(u),
            aws::HeaderValue::Uuid(u128::from_be_bytes(u))
        )),
    ]
}

/// A generated message, in both codecs' types.
fn message() -> impl Strategy<Value = (Message, aws::Message)> {
    (
        prop::collection::vec(("[a-z:-]{1,20}", value()), 0..5),
        prop::collection::vec(any::<u8>(), 0..3000),
    )
        .prop_map(|(headers, payload)| {
            let mut ours = Message::new(payload.clone());
            let mut theirs = aws::Message::new(payload);
            for (name, (mine, other)) in headers {
                ours = ours.with_header(name.clone(), mine);
                theirs = theirs.add_header(aws::Header::new(name, other));
            }
            (ours, theirs)
        })
}

fn aws_encode(message: &aws::Message) -> Vec<u8> {
    let mut out = Vec::new();
    aws_smithy_eventstream::frame::write_message_to(message, &mut out).unwrap();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The codec writes what aws-smithy-eventstream writes, and reads it back.
    #[test]
    fn the_codec_equals_aws_smithy_eventstream((ours, theirs) in message()) {
        let mut mine = Vec::new();
        ours.encode(&mut mine).unwrap();
        prop_assert_eq!(&mine, &aws_encode(&theirs));
        prop_assert_eq!(Message::decode(&mine).unwrap(), (ours, mine.len()));
    }

    /// Every envelope and signature equals aws-sigv4's, over streams of one
    /// to four messages at increasing times (across midnight, too), then
    /// the end message.
    #[test]
    fn envelopes_equal_aws_sigv4s(
        messages in prop::collection::vec(message(), 1..4),
        start in prop_oneof![Just(1_440_979_190u64), 1_000_000_000u64..2_000_000_000],
        steps in prop::collection::vec(0u64..20, 4),
        seed in any::<[u8; 32]>(),
    ) {
        let seed_hex = hex::encode(seed);
        let identity = AwsCredentials::new("AKIDEXAMPLE", SECRET, None, None, "test").into();
        let mut events = signer().event_signer(&credentials(), Signature::from_hex(&seed_hex).unwrap());
        let mut running = seed_hex;
        let mut unix = start;
        for (i, (ours, theirs)) in messages.iter().enumerate() {
            unix += steps[i % steps.len()];
            let params = aws_sigv4::sign::v4::SigningParams::builder()
                .identity(&identity)
                .region("us-west-2")
                .name("transcribe")
                .time(UNIX_EPOCH + Duration::from_secs(unix))
                .settings(())
                .build()
                .unwrap();
            let (envelope, signature) = aws_sigv4::event_stream::sign_message(theirs, &running, &params)
                .unwrap()
                .into_parts();
            let mut inner = Vec::new();
            ours.encode(&mut inner).unwrap();
            let mut wire = Vec::new();
            let mine = events
                .sign_message(&inner, SigningTime::from_unix(unix as i64).unwrap(), &mut wire)
                .unwrap();
            prop_assert_eq!(mine.to_string(), signature.clone());
            prop_assert_eq!(wire, aws_encode(&envelope));
            running = signature;
        }
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region("us-west-2")
            .name("transcribe")
            .time(UNIX_EPOCH + Duration::from_secs(unix))
            .settings(())
            .build()
            .unwrap();
        let (envelope, signature) = aws_sigv4::event_stream::sign_empty_message(&running, &params)
            .unwrap()
            .into_parts();
        let mut wire = Vec::new();
        let mine = events.finish(SigningTime::from_unix(unix as i64).unwrap(), &mut wire).unwrap();
        prop_assert_eq!(mine.to_string(), signature);
        prop_assert_eq!(wire, aws_encode(&envelope));
    }
}

/// A signed request opening a stream, and its wire bytes: `count`
/// messages a second apart, then the end.
fn signed_stream(count: usize) -> (http::Request<()>, Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let time = SigningTime::parse("20150830T123600Z").unwrap();
    let mut request =
        http::Request::post("https://transcribestreaming.us-west-2.amazonaws.com/stream")
            .header("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-EVENTS")
            .body(())
            .unwrap();
    let seed = signer()
        .sign_with_payload(&mut request, Payload::StreamingEvents, &credentials(), time)
        .unwrap();
    let mut events = signer().event_signer(&credentials(), seed);
    let (mut inners, mut envelopes) = (Vec::new(), Vec::new());
    for i in 0..count {
        let mut inner = Vec::new();
        Message::new(vec![i as u8; 100 + i])
            .with_header(":event-type", HeaderValue::String("AudioEvent".into()))
            .encode(&mut inner)
            .unwrap();
        let mut wire = Vec::new();
        let at = SigningTime::from_unix(time.unix_seconds() + i as i64).unwrap();
        events.sign_message(&inner, at, &mut wire).unwrap();
        inners.push(inner);
        envelopes.push(wire);
    }
    let mut end = Vec::new();
    let at = SigningTime::from_unix(time.unix_seconds() + count as i64).unwrap();
    events.finish(at, &mut end).unwrap();
    envelopes.push(end);
    (request, inners, envelopes)
}

fn verifier() -> Verifier<impl sigv4::verify::SecretLookup> {
    let known = credentials();
    Verifier::new(
        Region::new("us-west-2").unwrap(),
        Service::new("transcribe").unwrap(),
        move |id: &str| (id == known.access_key_id()).then(|| known.clone()),
    )
}

/// Feeds `wire` in pieces of `piece`; the messages checked, or the first
/// error.
fn check_stream(
    request: &http::Request<()>,
    wire: &[u8],
    piece: usize,
) -> Result<Vec<Vec<u8>>, EventError> {
    let now = SigningTime::parse("20150830T123700Z").unwrap();
    let (verified, mut checker) = verifier().verify_event_stream(request, now).unwrap();
    assert_eq!(verified.payload, PayloadCheck::EventStream);
    let mut reader = FrameReader::new();
    let mut messages = Vec::new();
    for part in wire.chunks(piece) {
        reader.push(part);
        while let Some(frame) = reader.next_frame().map_err(EventError::Malformed)? {
            let event = checker.check(frame, now)?;
            if !event.payload.is_empty() {
                messages.push(event.payload.to_vec());
            }
        }
    }
    checker.finish()?;
    Ok(messages)
}

#[test]
fn signed_streams_verify_and_bad_ones_are_refused() {
    let (request, inners, envelopes) = signed_stream(5);
    let wire = envelopes.concat();
    for piece in [1, 7, 100, 100_000] {
        assert_eq!(
            check_stream(&request, &wire, piece),
            Ok(inners.clone()),
            "pieces of {piece}"
        );
    }

    // A changed payload byte with its CRCs made right again: the signature
    // catches it. (With the CRC left as it is, the codec does.)
    let mut message = Message::decode(&envelopes[2]).unwrap().0;
    message.payload[50] ^= 1;
    let mut changed = Vec::new();
    message.encode(&mut changed).unwrap();
    let mut tampered = envelopes.clone();
    tampered[2] = changed;
    assert_eq!(
        check_stream(&request, &tampered.concat(), 64),
        Err(EventError::SignatureMismatch { message: 2 })
    );
    let mut crc_broken = wire.clone();
    crc_broken[envelopes[0].len() + 90] ^= 1;
    assert!(matches!(
        check_stream(&request, &crc_broken, 64),
        Err(EventError::Malformed(_))
    ));

    // Reordered, truncated before the end, a message after the end.
    let mut reordered = envelopes.clone();
    reordered.swap(1, 2);
    assert!(matches!(
        check_stream(&request, &reordered.concat(), 64),
        Err(EventError::SignatureMismatch { message: 1 } | EventError::BadTime)
    ));
    let truncated = envelopes[..5].concat();
    assert_eq!(
        check_stream(&request, &truncated, 64),
        Err(EventError::Truncated)
    );
    let mut extended = wire.clone();
    extended.extend_from_slice(&envelopes[0]);
    assert_eq!(
        check_stream(&request, &extended, 64),
        Err(EventError::AfterEnd)
    );

    // An envelope with another header besides the two.
    let mut extra = Message::decode(&envelopes[0]).unwrap().0;
    extra
        .headers
        .push((":extra".into(), HeaderValue::Bool(true)));
    let mut with_extra = Vec::new();
    extra.encode(&mut with_extra).unwrap();
    let mut bad = envelopes.clone();
    bad[0] = with_extra;
    assert!(matches!(
        check_stream(&request, &bad.concat(), 64),
        Err(EventError::BadEnvelope { .. })
    ));

    // Too late: checked as of an hour after the messages' dates.
    let later = SigningTime::parse("20150830T133700Z").unwrap();
    let (_, mut checker) = verifier()
        .with_max_skew(Duration::from_secs(4000))
        .verify_event_stream(&request, later)
        .unwrap();
    let an_hour_on = SigningTime::parse("20150830T143700Z").unwrap();
    assert_eq!(
        checker.check(&envelopes[0], an_hour_on),
        Err(EventError::BadTime)
    );

    // A request that is not an event stream is not verified as one.
    let mut plain = http::Request::get("https://transcribestreaming.us-west-2.amazonaws.com/x")
        .body(())
        .unwrap();
    signer()
        .sign_with_payload(
            &mut plain,
            Payload::Unsigned,
            &credentials(),
            SigningTime::parse("20150830T123600Z").unwrap(),
        )
        .unwrap();
    assert!(verifier()
        .verify_event_stream(&plain, SigningTime::parse("20150830T123600Z").unwrap())
        .is_err());
}
