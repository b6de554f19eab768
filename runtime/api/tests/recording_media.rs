//! The media of `…/Recordings/{RE…}`: the WAV as written with byte ranges, only for a
//! completed recording, the MP3 and the downmix of a dual-channel recording.

mod common;

use std::io::Write;

use axum::http::{Method, StatusCode};
use common::recordings::*;
use common::Harness;
use switchyard_media::record::RecordingStorage;
use switchyard_media::wav::wav_bytes;
use switchyard_store::Repository;
use switchyard_types::{RecordingSource, RecordingStatus};

#[tokio::test]
async fn the_media_is_the_wav_as_written_with_byte_ranges() {
    let h = Harness::new();
    let r = recording(h.root.sid, None, DAY0);
    let wav = with_media(&h, &r, &tone(1_500));
    let len = wav.len();
    let base = h.path(&format!("/Recordings/{}", r.sid));
    for uri in [base.clone(), format!("{base}.wav")] {
        let (status, headers, body) = raw(&h, Method::GET, &uri, Some(&h.root), &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "audio/x-wav");
        assert_eq!(headers["accept-ranges"], "bytes");
        assert_eq!(headers["content-length"], len.to_string());
        assert_eq!(body.to_vec(), wav);
    }
    let ranged = |range: &'static str| {
        let (h, base) = (&h, &base);
        async move { raw(h, Method::GET, base, Some(&h.root), &[("range", range)]).await }
    };
    let (status, headers, body) = ranged("bytes=0-43").await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(headers["content-range"], format!("bytes 0-43/{len}"));
    assert_eq!(headers["accept-ranges"], "bytes");
    assert_eq!(body.to_vec(), wav[..44]);
    let (status, headers, body) = ranged("bytes=1000-").await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        headers["content-range"],
        format!("bytes 1000-{}/{len}", len - 1)
    );
    assert_eq!(body.to_vec(), wav[1000..]);
    let (status, headers, body) = ranged("bytes=-10").await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(headers["content-length"], "10");
    assert_eq!(body.to_vec(), wav[len - 10..]);
    // A file larger than one streamed chunk comes whole and in order.
    let (_, _, body) = ranged("bytes=1-23999").await;
    assert_eq!(body.to_vec(), wav[1..24_000]);
    let (status, headers, body) = ranged("bytes=999999-").await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(headers["content-range"], format!("bytes */{len}"));
    assert_eq!(headers["accept-ranges"], "bytes");
    assert!(body.is_empty());
    // Several ranges are not offered: the whole file, 200.
    let (status, _, body) = ranged("bytes=0-1,5-9").await;
    assert_eq!((status, body.len()), (StatusCode::OK, len));

    // A mono recording has no dual-channel media (Twilio answers 400).
    let (status, _, _) = raw(
        &h,
        Method::GET,
        &format!("{base}?RequestedChannels=2"),
        Some(&h.root),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = raw(
        &h,
        Method::GET,
        &format!("{base}?RequestedChannels=1"),
        Some(&h.root),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn media_is_served_only_for_a_completed_recording_whose_file_exists() {
    let h = Harness::new();
    let mut live = recording(h.root.sid, None, DAY0);
    live.status = RecordingStatus::InProgress;
    with_media(&h, &live, &tone(100));
    let mut absent = recording(h.root.sid, None, DAY0);
    absent.status = RecordingStatus::Absent;
    absent.error_code = Some(16101);
    with_media(&h, &absent, &[0; 800]);
    let lost = recording(h.root.sid, None, DAY0);
    h.repo.put_recording_durable(&lost).unwrap();
    for r in [&live, &absent, &lost] {
        for ext in ["", ".wav", ".mp3"] {
            h.root(
                Method::GET,
                &h.path(&format!("/Recordings/{}{ext}", r.sid)),
                "",
            )
            .await
            .error(404, 20404);
        }
    }
    h.root(Method::GET, &h.path("/Recordings/REnot-a-sid"), "")
        .await
        .error(404, 20404);
}

/// Frames, rate and channels of an MP3, decoded gaplessly as players do with LAME's
/// Info tag.
fn mp3_frames(mp3: Vec<u8>) -> (u64, u32, usize) {
    use symphonia::core::codecs::DecoderOptions;
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::probe::Hint;
    let mss = MediaSourceStream::new(Box::new(std::io::Cursor::new(mp3)), Default::default());
    let mut hint = Hint::new();
    hint.with_extension("mp3");
    let opts = FormatOptions {
        enable_gapless: true,
        ..Default::default()
    };
    let mut format = symphonia::default::get_probe()
        .format(&hint, mss, &opts, &Default::default())
        .unwrap()
        .format;
    let track = format.default_track().unwrap().clone();
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .unwrap();
    let (mut frames, mut rate, mut channels) = (0, 0, 0);
    while let Ok(packet) = format.next_packet() {
        let audio = decoder.decode(&packet).unwrap();
        frames += audio.frames() as u64;
        rate = audio.spec().rate;
        channels = audio.spec().channels.count();
    }
    (frames, rate, channels)
}

#[tokio::test]
async fn the_mp3_decodes_to_the_wavs_length_and_seeks_too() {
    let h = Harness::new();
    let r = recording(h.root.sid, None, DAY0);
    let ms = 3_210;
    with_media(&h, &r, &tone(ms));
    let uri = h.path(&format!("/Recordings/{}.mp3", r.sid));
    let (status, headers, body) = raw(&h, Method::GET, &uri, Some(&h.root), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "audio/mpeg");
    assert_eq!(headers["accept-ranges"], "bytes");
    assert_eq!(headers["content-length"], body.len().to_string());
    let mp3 = body.to_vec();
    let (frames, rate, channels) = mp3_frames(mp3.clone());
    assert_eq!((rate, channels), (8000, 1));
    let decoded_ms = frames * 1000 / 8000;
    assert!(
        decoded_ms.abs_diff(u64::from(ms)) <= 100,
        "{decoded_ms} ms decoded of {ms}"
    );
    let (status, headers, part) = raw(
        &h,
        Method::GET,
        &uri,
        Some(&h.root),
        &[("range", "bytes=100-199")],
    )
    .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        headers["content-range"],
        format!("bytes 100-199/{}", mp3.len())
    );
    assert_eq!(part.to_vec(), mp3[100..200]);
}

#[tokio::test]
async fn a_dual_recording_comes_as_recorded_or_downmixed_on_request() {
    let h = Harness::new();
    let mut r = recording(h.root.sid, None, DAY0);
    r.channels = 2;
    r.source = RecordingSource::DialVerb;
    h.repo.put_recording_durable(&r).unwrap();
    // One party on each channel: a tone on the left, its half on the right.
    let left = tone(1_000);
    let stereo: Vec<i16> = left.iter().flat_map(|s| [*s, s / 2]).collect();
    let mut wav = switchyard_media::wav::header(8000, 2, (stereo.len() * 2) as u32).to_vec();
    wav.extend(stereo.iter().flat_map(|s| s.to_le_bytes()));
    h.recordings
        .create(&r.account_sid.to_string(), &r.sid.to_string())
        .unwrap()
        .write_all(&wav)
        .unwrap();
    let get = |query: &'static str| {
        let (h, uri) = (&h, h.path(&format!("/Recordings/{}{query}", r.sid)));
        async move { raw(h, Method::GET, &uri, Some(&h.root), &[]).await }
    };
    for query in ["", "?RequestedChannels=2"] {
        let (status, _, body) = get(query).await;
        assert_eq!(
            (status, body.to_vec()),
            (StatusCode::OK, wav.clone()),
            "{query}"
        );
    }
    let mono: Vec<i16> = left
        .iter()
        .map(|s| ((i32::from(*s) + i32::from(s / 2)) / 2) as i16)
        .collect();
    let (status, headers, body) = get("?RequestedChannels=1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "audio/x-wav");
    assert_eq!(body.to_vec(), wav_bytes(&mono, 8000));
    // Ranges apply to the downmix.
    let uri = h.path(&format!("/Recordings/{}?RequestedChannels=1", r.sid));
    let (status, headers, part) = raw(
        &h,
        Method::GET,
        &uri,
        Some(&h.root),
        &[("range", "bytes=44-47")],
    )
    .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        headers["content-range"],
        format!("bytes 44-47/{}", 44 + mono.len() * 2)
    );
    assert_eq!(part.to_vec(), body[44..48]);

    let (_, _, mp3) = get(".mp3").await;
    let (frames, rate, channels) = mp3_frames(mp3.to_vec());
    assert_eq!((frames, rate, channels), (8000, 8000, 2));
    let (_, _, mp3) = get(".mp3?RequestedChannels=1").await;
    let (frames, rate, channels) = mp3_frames(mp3.to_vec());
    assert_eq!((frames, rate, channels), (8000, 8000, 1));
    let (status, _, _) = get("?RequestedChannels=3").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
