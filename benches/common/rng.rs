//! A small, fast, deterministic random number generator (SplitMix64) for
//! the benchmarks: the same seed gives the same workload on every run.

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// [`Self::below`] for 32-bit counts.
    #[allow(dead_code, reason = "not every benchmark draws 32-bit numbers")]
    pub fn below32(&mut self, n: u32) -> u32 {
        self.below(u64::from(n)) as u32
    }
}
