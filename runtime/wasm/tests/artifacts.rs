//! Upload validation and the artifact cache.

mod common;

use std::time::Instant;

use common::*;
use switchyard_wasm::{Error, Loaded, WasmHost};

fn artifacts(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect()
}

#[test]
fn load_after_compile_comes_from_cache_and_is_faster() {
    let wasm = guest("ok");
    let config = host_config("cache");
    let dir = config.artifact_dir.clone();
    let host = WasmHost::new(config.clone()).unwrap();

    let t = Instant::now();
    let compiled = host.compile(&wasm, limits(50, 1000)).unwrap();
    let compile_time = t.elapsed();
    let files = artifacts(&dir);
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with(compiled.sha256()), "{name}");

    // A restart: a new host (new engine, same configuration) finds the artifact.
    let restarted = WasmHost::new(config).unwrap();
    let t = Instant::now();
    let (loaded, how) = restarted.load(&wasm, limits(50, 1000)).unwrap();
    let load_time = t.elapsed();
    println!("compile {compile_time:?}, load from cache {load_time:?}");
    assert_eq!(how, Loaded::FromCache);
    assert_eq!(loaded.sha256(), compiled.sha256());
    assert!(
        load_time * 5 < compile_time,
        "cache load {load_time:?} vs compile {compile_time:?}"
    );
}

#[test]
fn an_artifact_of_another_engine_config_is_not_loaded() {
    use sha2::Digest;

    let wasm = guest("ok");
    let config = host_config("compat");
    let host = WasmHost::new(config.clone()).unwrap();
    host.compile(&wasm, limits(50, 1000)).unwrap();
    let file = artifacts(&config.artifact_dir).pop().unwrap();

    // Put under this engine's name (with a matching digest, as if an operator
    // copied a cache directory between differently configured nodes) an artifact
    // from an engine that compiles differently. Wasmtime's own header check must
    // refuse it, and the host must compile instead of running foreign code.
    let mut other = wasmtime::Config::new();
    other
        .epoch_interruption(false)
        .cranelift_opt_level(wasmtime::OptLevel::None);
    let foreign = wasmtime::Engine::new(&other)
        .unwrap()
        .precompile_component(&wasm)
        .unwrap();
    std::fs::write(&file, &foreign).unwrap();
    let mut digest = file.clone().into_os_string();
    digest.push(".sha256");
    std::fs::write(digest, hex::encode(sha2::Sha256::digest(&foreign))).unwrap();

    let (_, how) = host.load(&wasm, limits(50, 1000)).unwrap();
    assert_eq!(how, Loaded::Compiled);
    let (_, how) = host.load(&wasm, limits(50, 1000)).unwrap();
    assert_eq!(how, Loaded::FromCache);
}

#[test]
fn a_corrupted_artifact_is_recompiled_and_replaced() {
    let wasm = guest("ok");
    let config = host_config("corrupt");
    let host = WasmHost::new(config.clone()).unwrap();
    host.compile(&wasm, limits(50, 1000)).unwrap();
    let file = artifacts(&config.artifact_dir).pop().unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();

    let (_, how) = host.load(&wasm, limits(50, 1000)).unwrap();
    assert_eq!(how, Loaded::Compiled);
    let (_, how) = host.load(&wasm, limits(50, 1000)).unwrap();
    assert_eq!(how, Loaded::FromCache);

    // Truncated to garbage: same.
    std::fs::write(&file, b"garbage").unwrap();
    let (_, how) = host.load(&wasm, limits(50, 1000)).unwrap();
    assert_eq!(how, Loaded::Compiled);
}

#[test]
fn compile_rejects_what_is_not_a_call_handler_and_says_why() {
    let host = shared_host();
    let err = host
        .compile(b"\0asm\x01\0\0\0", limits(50, 1000))
        .unwrap_err();
    assert!(matches!(err, Error::CoreModule), "{err}");
    assert!(err.to_string().contains("core WebAssembly module"), "{err}");

    let random: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let err = host.compile(&random, limits(50, 1000)).unwrap_err();
    assert!(matches!(err, Error::NotWasm), "{err}");

    // A truncated component: right header, broken body.
    let ok = guest("ok");
    let err = host
        .compile(&ok[..ok.len() / 2], limits(50, 1000))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidComponent(_)), "{err}");

    let err = host
        .compile(&guest("wrongexport"), limits(50, 1000))
        .unwrap_err();
    let Error::MissingExport { exports, .. } = &err else {
        panic!("{err}")
    };
    assert!(exports.contains("filter"), "{err}");
    assert!(err.to_string().contains("missing export `handle`"), "{err}");
}

#[test]
fn compile_refuses_a_precompiled_artifact() {
    let config = host_config("precompiled");
    let host = WasmHost::new(config.clone()).unwrap();
    host.compile(&guest("ok"), limits(50, 1000)).unwrap();
    let artifact = std::fs::read(artifacts(&config.artifact_dir).pop().unwrap()).unwrap();
    let err = host.compile(&artifact, limits(50, 1000)).unwrap_err();
    assert!(matches!(err, Error::Precompiled), "{err}");
}

#[test]
fn limits_above_the_pool_slot_are_refused() {
    let host = shared_host();
    let mut big = limits(50, 1000);
    big.memory = host.config().default_memory + 1;
    let err = host.compile(&guest("ok"), big).unwrap_err();
    assert!(matches!(err, Error::MemoryLimit { .. }), "{err}");
}
