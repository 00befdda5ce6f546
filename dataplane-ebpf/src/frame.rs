//! Ethernet frames for a [`PacketRepr`]: what the engine feeds `BPF_PROG_TEST_RUN`, laid out by
//! the compiler's [`wire::emit`] (so the datapath's parser and the reference parser see the same
//! bytes) and padded to the Ethernet minimum as a NIC would (the IP lengths exclude the padding).

use palisade_compiler::packet::PacketRepr;
use palisade_compiler::packet::wire::{self, EmitOptions, EthernetAddrs, WireError};

/// The source and destination MAC addresses of emitted frames.
const MACS: EthernetAddrs = EthernetAddrs {
    src: [0x02, 0, 0, 0, 0, 0x01],
    dst: [0x02, 0, 0, 0, 0, 0x02],
};

/// The shortest Ethernet frame (without the FCS).
const ETHERNET_MIN: usize = 60;

/// An Ethernet frame carrying `p`, laid out with `options` (their `ethernet` is set here).
pub fn emit_with(p: &PacketRepr, options: &EmitOptions) -> Result<Vec<u8>, WireError> {
    let options = EmitOptions {
        ethernet: Some(MACS),
        ..options.clone()
    };
    let mut frame = wire::emit(p, &options)?;
    if frame.len() < ETHERNET_MIN {
        frame.resize(ETHERNET_MIN, 0);
    }
    Ok(frame)
}

/// An Ethernet frame carrying `p`: minimal headers, no payload. A packet without L4 fields of
/// a protocol that has them is emitted without its L4 header, which the parsers read as a
/// truncated (absent) L4 header.
pub fn emit(p: &PacketRepr) -> Result<Vec<u8>, WireError> {
    emit_with(p, &EmitOptions::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_parse_back() {
        let p = PacketRepr::tcp(
            "10.0.0.1".parse().unwrap(),
            "10.0.0.2".parse().unwrap(),
            1234,
            80,
        )
        .unwrap();
        let f = emit(&p).unwrap();
        assert_eq!(f.len(), 60);
        assert_eq!(wire::parse_ethernet(&f).unwrap(), p);
    }
}
