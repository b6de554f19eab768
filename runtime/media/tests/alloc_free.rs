//! The per-frame paths of a transcoded call allocate nothing once warmed up: counted
//! with a global allocator that wraps the system one.

// The counting allocator needs `unsafe impl GlobalAlloc`; it only forwards to `System`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use switchyard_media::codec::{Decoder, Encoder, Feed, OpusParams, Payload};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn bridging_g711_and_opus_allocates_nothing_per_frame() {
    let opus = Payload::Opus(OpusParams::default());
    let tone: Vec<i16> = (0..16_000)
        .map(|i| (8000.0 * (i as f64 * 0.3).sin()) as i16)
        .collect();
    let mut pcmu_enc = Encoder::new(&Payload::Pcmu).unwrap();
    let mut pcmu_dec = Decoder::new(&Payload::Pcmu).unwrap();
    let mut opus_enc = Encoder::new(&opus).unwrap();
    let mut opus_dec = Decoder::new(&opus).unwrap();
    let mut to_opus = Feed::new(16_000);
    let mut to_pcmu = Feed::new(8000);
    let (mut pcm, mut payload) = (Vec::with_capacity(2048), Vec::with_capacity(2048));
    let (mut wide, mut narrow) = ([0i16; 320], [0i16; 160]);
    let mut step = |i: usize| {
        // G.711 leg → Opus leg.
        payload.clear();
        pcmu_enc.encode(&tone[i * 160..(i + 1) * 160], &mut payload);
        pcm.clear();
        pcmu_dec.decode(&payload, &mut pcm);
        to_opus.push(8000, &pcm);
        to_opus.next_frame(&mut wide);
        payload.clear();
        opus_enc.encode(&wide, &mut payload);
        // Opus leg → G.711 leg.
        pcm.clear();
        opus_dec.decode(&payload, &mut pcm);
        to_pcmu.push(16_000, &pcm);
        to_pcmu.next_frame(&mut narrow);
        payload.clear();
        pcmu_enc.encode(&narrow, &mut payload);
    };
    for i in 0..5 {
        step(i);
    }
    // The counter does count.
    let probe = allocations();
    drop(std::hint::black_box(vec![1u8; 10]));
    assert!(allocations() > probe);
    let before = allocations();
    for i in 5..50 {
        step(i);
    }
    assert_eq!(allocations() - before, 0, "allocations in 45 frames");
    assert!(narrow.iter().any(|&s| s != 0), "audio made it through");
}
