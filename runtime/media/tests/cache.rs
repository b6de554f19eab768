//! The media cache against a real HTTP server on 127.0.0.1.

mod common;

use common::server::{Route, Server};
use common::{dominant, sine_wav_8k};
use std::sync::Arc;
use std::time::Duration;
use switchyard_media::{
    AudioStream, CacheConfig, CacheStats, Error, FrameStatus, MediaCache, MEDIA_RATE,
};
use tokio::sync::Notify;

fn cache(dir: &tempfile::TempDir) -> MediaCache {
    MediaCache::open(dir.path().to_path_buf(), reqwest::Client::new()).unwrap()
}

/// Samples in 20 ms of cached audio.
const FRAME: usize = MEDIA_RATE as usize / 50;

/// Plays a stream to its end, waiting through underruns; returns all samples.
async fn play(mut stream: AudioStream) -> Result<Vec<i16>, Error> {
    assert_eq!(stream.rate(), MEDIA_RATE);
    let mut out = Vec::new();
    let mut frame = [0i16; FRAME];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        match stream.next_frame(&mut frame) {
            FrameStatus::Ready => out.extend_from_slice(&frame),
            FrameStatus::Pending => {
                assert!(tokio::time::Instant::now() < deadline, "stream stalled");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            FrameStatus::End => return Ok(out),
            FrameStatus::Failed(e) => return Err(e),
        }
    }
}

fn stats(hits: u64, misses: u64, revalidations: u64, fetches: u64, shared: u64) -> CacheStats {
    CacheStats {
        hits,
        misses,
        revalidations,
        fetches,
        shared,
    }
}

fn pcm_files(dir: &tempfile::TempDir) -> usize {
    std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "pcm")
        })
        .count()
}

#[tokio::test]
async fn first_play_fetches_and_converts_once() {
    let server = Server::start().await;
    let url = server.route("/a.wav", Route::ok("audio/wav", sine_wav_8k(440.0, 1.0)));
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir);
    let samples = play(cache.url(&url).await.unwrap()).await.unwrap();
    // 1 s at 16 kHz, a whole number of frames.
    assert_eq!(samples.len(), 16_000);
    assert_eq!(dominant(&samples, &[300.0, 440.0, 1000.0]), 440.0);
    assert_eq!(cache.stats(), stats(0, 1, 0, 1, 0));
    assert_eq!(pcm_files(&dir), 1);
}

#[tokio::test]
async fn stale_entry_is_revalidated_with_etag_and_304_serves_cached_samples() {
    let server = Server::start().await;
    let mut route = Route::ok("audio/wav", sine_wav_8k(440.0, 0.5));
    route.etag = Some("\"v1\"".into());
    let url = server.route("/etag.wav", route);
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir);
    let first = play(cache.url(&url).await.unwrap()).await.unwrap();
    let second = play(cache.url(&url).await.unwrap()).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(server.requests(), 2);
    let seen = server.seen();
    assert_eq!(
        seen[1].headers.get("if-none-match").map(String::as_str),
        Some("\"v1\"")
    );
    assert_eq!(seen[1].status, 304);
    assert_eq!(cache.stats(), stats(0, 1, 1, 2, 0));
}

#[tokio::test]
async fn last_modified_alone_is_used_for_revalidation() {
    let server = Server::start().await;
    let mut route = Route::ok("audio/x-wav", sine_wav_8k(440.0, 0.5));
    route.last_modified = Some("Sun, 06 Nov 1994 08:49:37 GMT".into());
    let url = server.route("/lm.wav", route);
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir);
    play(cache.url(&url).await.unwrap()).await.unwrap();
    play(cache.url(&url).await.unwrap()).await.unwrap();
    let seen = server.seen();
    assert_eq!(
        seen[1].headers.get("if-modified-since").map(String::as_str),
        Some("Sun, 06 Nov 1994 08:49:37 GMT")
    );
    assert!(!seen[1].headers.contains_key("if-none-match"));
    assert_eq!(cache.stats().revalidations, 1);
}

#[tokio::test]
async fn changed_resource_is_reconverted() {
    let server = Server::start().await;
    let mut route = Route::ok("audio/wav", sine_wav_8k(440.0, 0.5));
    route.etag = Some("\"v1\"".into());
    let url = server.route("/c.wav", route.clone());
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir);
    let old = play(cache.url(&url).await.unwrap()).await.unwrap();
    route.etag = Some("\"v2\"".into());
    route.body = sine_wav_8k(1000.0, 0.5);
    server.route("/c.wav", route);
    let new = play(cache.url(&url).await.unwrap()).await.unwrap();
    assert_eq!(dominant(&old, &[440.0, 1000.0]), 440.0);
    assert_eq!(dominant(&new, &[440.0, 1000.0]), 1000.0);
    assert_eq!(cache.stats(), stats(0, 2, 0, 2, 0));
}

#[tokio::test]
async fn fresh_entry_needs_no_request_and_survives_a_restart() {
    let server = Server::start().await;
    let url = server.route(
        "/fresh.wav",
        Route::ok("audio/wav", sine_wav_8k(440.0, 0.5))
            .header("Cache-Control", "public, max-age=3600"),
    );
    let dir = tempfile::tempdir().unwrap();
    let first = {
        let cache = cache(&dir);
        let first = play(cache.url(&url).await.unwrap()).await.unwrap();
        let again = play(cache.url(&url).await.unwrap()).await.unwrap();
        assert_eq!(first, again);
        assert_eq!(server.requests(), 1);
        assert_eq!(cache.stats(), stats(1, 1, 0, 1, 0));
        first
    };
    // A new cache on the same directory finds the entry on disk.
    let cache = cache(&dir);
    let after_restart = play(cache.url(&url).await.unwrap()).await.unwrap();
    assert_eq!(after_restart, first);
    assert_eq!(server.requests(), 1);
    assert_eq!(cache.stats(), stats(1, 0, 0, 0, 0));
}

#[tokio::test]
async fn expires_in_the_future_is_fresh() {
    let server = Server::start().await;
    let expires = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(600));
    let url = server.route(
        "/expires.wav",
        Route::ok("audio/wav", sine_wav_8k(440.0, 0.2)).header("Expires", &expires),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir);
    play(cache.url(&url).await.unwrap()).await.unwrap();
    play(cache.url(&url).await.unwrap()).await.unwrap();
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn stale_entry_on_disk_is_revalidated_after_restart() {
    let server = Server::start().await;
    let mut route = Route::ok("audio/wav", sine_wav_8k(440.0, 0.5));
    route.etag = Some("\"disk\"".into());
    let url = server.route("/disk.wav", route);
    let dir = tempfile::tempdir().unwrap();
    let first = play(cache(&dir).url(&url).await.unwrap()).await.unwrap();
    let cache = cache(&dir);
    let second = play(cache.url(&url).await.unwrap()).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(cache.stats(), stats(0, 0, 1, 1, 0));
}

#[tokio::test]
async fn incomplete_entry_from_a_crash_is_refetched() {
    let server = Server::start().await;
    let url = server.route(
        "/crash.wav",
        Route::ok("audio/wav", sine_wav_8k(440.0, 0.5)).header("Cache-Control", "max-age=3600"),
    );
    let dir = tempfile::tempdir().unwrap();
    play(cache(&dir).url(&url).await.unwrap()).await.unwrap();
    // Simulate a crash between writing the samples and marking them complete.
    let meta_path = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "meta"))
        .unwrap();
    let text = std::fs::read_to_string(&meta_path).unwrap();
    assert!(text.contains("complete=1"), "{text}");
    std::fs::write(&meta_path, text.replace("complete=1", "complete=0")).unwrap();

    let cache = cache(&dir);
    let samples = play(cache.url(&url).await.unwrap()).await.unwrap();
    assert_eq!(samples.len(), 8000);
    assert_eq!(server.requests(), 2);
    assert_eq!(cache.stats(), stats(0, 1, 0, 1, 0));
}

#[tokio::test]
async fn no_store_is_played_but_never_kept() {
    let server = Server::start().await;
    let url = server.route(
        "/secret.wav",
        Route::ok("audio/wav", sine_wav_8k(440.0, 0.5))
            .header("Cache-Control", "no-store, max-age=3600"),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir);
    assert_eq!(
        play(cache.url(&url).await.unwrap()).await.unwrap().len(),
        8000
    );
    assert_eq!(
        play(cache.url(&url).await.unwrap()).await.unwrap().len(),
        8000
    );
    assert_eq!(server.requests(), 2);
    assert!(server
        .seen()
        .iter()
        .all(|s| !s.headers.contains_key("if-none-match")));
    assert_eq!(pcm_files(&dir), 0);
    assert_eq!(cache.stats(), stats(0, 2, 0, 2, 0));
}

#[tokio::test]
async fn concurrent_plays_share_one_fetch_and_one_buffer() {
    let server = Server::start().await;
    let mut route = Route::ok("audio/wav", sine_wav_8k(440.0, 1.0));
    route.delay = Duration::from_millis(300);
    let url = server.route("/popular.wav", route);
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir);
    let plays = (0..20).map(|_| {
        let cache = cache.clone();
        let url = url.clone();
        tokio::spawn(async move { play(cache.url(&url).await.unwrap()).await.unwrap() })
    });
    let results = futures_util::future::join_all(plays).await;
    let first = results[0].as_ref().unwrap();
    assert_eq!(first.len(), 16_000);
    for r in &results {
        assert_eq!(r.as_ref().unwrap(), first);
    }
    assert_eq!(server.requests(), 1);
    assert_eq!(cache.stats(), stats(0, 1, 0, 1, 19));
}

#[tokio::test]
async fn playback_starts_while_the_file_is_still_downloading() {
    let server = Server::start().await;
    let body = sine_wav_8k(440.0, 2.0); // 32 044 bytes
    let go = Arc::new(Notify::new());
    let mut route = Route::ok("audio/wav", body.clone());
    route.pause_after = Some((body.len() / 2, go.clone()));
    let url = server.route("/long.wav", route);
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir);

    let mut stream = tokio::time::timeout(Duration::from_secs(5), cache.url(&url))
        .await
        .expect("url() must return before the body is complete")
        .unwrap();
    let mut frame = [0i16; FRAME];
    let mut early = 0;
    // Read everything available from the first half, until the underrun.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match stream.next_frame(&mut frame) {
            FrameStatus::Ready => early += 1,
            FrameStatus::Pending if early >= 40 => break,
            FrameStatus::Pending => {
                assert!(tokio::time::Instant::now() < deadline);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    // The first half holds ~1 s = 50 frames; the decoder may hold back a packet.
    assert!(early <= 50, "{early} frames from half a file");
    assert!(!stream.is_complete());
    assert!(matches!(
        stream.next_frame(&mut frame),
        FrameStatus::Pending
    ));

    go.notify_one();
    let rest = play(stream.clone()).await.unwrap();
    assert_eq!((early * FRAME + rest.len()) as u64, 32_000);
    assert!(stream.is_complete());
    assert_eq!(stream.duration_so_far(), Duration::from_secs(2));
}

#[tokio::test]
async fn http_errors_map_to_twilio_codes() {
    let server = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir);

    let missing = cache
        .url(&format!("{}/missing.wav", server.base))
        .await
        .unwrap_err();
    assert!(
        matches!(missing, Error::HttpStatus { status: 404, .. }),
        "{missing:?}"
    );
    assert_eq!(missing.twilio_code(), Some(11200));

    let html = server.route("/page", Route::ok("text/html", b"<html></html>".to_vec()));
    let err = cache.url(&html).await.unwrap_err();
    assert!(matches!(err, Error::InvalidContentType { .. }), "{err:?}");
    assert_eq!(err.twilio_code(), Some(12300));

    let junk = server.route("/junk.wav", Route::ok("audio/wav", vec![0x5a; 5000]));
    let err = cache.url(&junk).await.unwrap_err();
    assert!(matches!(err, Error::Undecodable { .. }), "{err:?}");

    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = cache
        .url(&format!("http://127.0.0.1:{port}/x.wav"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(err.twilio_code(), Some(11200));
    assert_eq!(pcm_files(&dir), 0);
}

#[tokio::test]
async fn failure_mid_stream_is_reported_and_not_kept() {
    let server = Server::start().await;
    let body = sine_wav_8k(440.0, 2.0);
    let mut route = Route::ok("audio/wav", body.clone());
    route.cut_after = Some(body.len() / 2);
    route.etag = Some("\"cut\"".into());
    let url = server.route("/cut.wav", route);
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir);
    let stream = cache.url(&url).await.expect("the first half decodes");
    let err = play(stream).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(pcm_files(&dir), 0);
    // The next play fetches again, unconditionally.
    let _ = cache.url(&url).await;
    assert_eq!(server.requests(), 2);
    assert!(!server.seen()[1].headers.contains_key("if-none-match"));
}

#[tokio::test]
async fn size_and_time_limits() {
    let server = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = CacheConfig {
        max_fetch_bytes: 10_000,
        idle_timeout: Duration::from_millis(300),
        ..CacheConfig::default()
    };
    let cache =
        MediaCache::open_with(dir.path().to_path_buf(), reqwest::Client::new(), config).unwrap();

    let big = server.route("/big.wav", Route::ok("audio/wav", sine_wav_8k(440.0, 1.0)));
    let err = cache.url(&big).await.unwrap_err();
    assert!(matches!(err, Error::TooLarge { limit: 10_000 }), "{err:?}");

    let body = sine_wav_8k(440.0, 0.5);
    let mut stall = Route::ok("audio/wav", body.clone());
    stall.pause_after = Some((body.len() / 2, Arc::new(Notify::new()))); // never resumes
    let stall = server.route("/stall.wav", stall);
    let stream = cache.url(&stall).await.unwrap();
    let err = play(stream).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn inline_bytes_are_cached_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir);
    let wav = sine_wav_8k(1000.0, 0.5);
    let a = play(cache.bytes(wav.clone(), "audio/wav").await.unwrap())
        .await
        .unwrap();
    let b = play(cache.bytes(wav, "audio/wav").await.unwrap())
        .await
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 8000);
    assert_eq!(cache.stats(), stats(1, 1, 0, 0, 0));
    let err = cache
        .bytes(b"hello".to_vec(), "text/plain")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidContentType { .. }));
}

#[tokio::test]
async fn speech_is_synthesised_once() {
    if std::process::Command::new("espeak-ng")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("skipped: espeak-ng is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir);
    let a = play(
        cache
            .speech("Welcome to Switchyard.", "woman", "en-US")
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    let b = play(
        cache
            .speech("Welcome to Switchyard.", "woman", "en-US")
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(a, b);
    assert!(a.len() > 8000);
    assert_eq!(cache.stats(), stats(1, 1, 0, 0, 0));
    // Another voice is another entry.
    let c = play(
        cache
            .speech("Welcome to Switchyard.", "man", "en-US")
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_ne!(a, c);
    // And a restart finds both on disk.
    let cache = self::cache(&dir);
    let d = play(
        cache
            .speech("Welcome to Switchyard.", "man", "en-US")
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(c, d);
    assert_eq!(cache.stats(), stats(1, 0, 0, 0, 0));
}

#[tokio::test]
async fn mp3_is_streamed_from_a_url() {
    let mp3 = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sine_440hz_1s_22050.mp3"
    ))
    .unwrap();
    let server = Server::start().await;
    let go = Arc::new(Notify::new());
    let mut route = Route::ok("audio/mpeg", mp3.clone());
    route.pause_after = Some((mp3.len() / 2, go.clone()));
    let url = server.route("/tune.mp3", route);
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir);
    let stream = cache.url(&url).await.unwrap();
    assert!(!stream.is_complete());
    assert!(stream.duration_so_far() > Duration::ZERO);
    go.notify_one();
    let samples = play(stream).await.unwrap();
    assert!(samples.len() >= 16_000, "{}", samples.len());
    assert_eq!(dominant(&samples, &[300.0, 440.0, 1000.0]), 440.0);
}
