//! The proptest strategy for TCP options, shared by the property tests
//! (included with `#[path]`).

use proptest::option;
use proptest::prelude::*;
use synwave::wire::{TcpOptions, Timestamps};

/// Any options, window scale up to `max_wscale`.
pub fn arb_options(max_wscale: u8) -> impl Strategy<Value = TcpOptions> {
    (
        option::of(any::<u16>()),
        option::of(0u8..=max_wscale),
        any::<bool>(),
        option::of(any::<(u32, u32)>()),
    )
        .prop_map(|(mss, wscale, sack_permitted, ts)| TcpOptions {
            mss,
            wscale,
            sack_permitted,
            timestamps: ts.map(|(tsval, tsecr)| Timestamps { tsval, tsecr }),
        })
}
