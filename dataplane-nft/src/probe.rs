//! Traffic probes: an ICMP echo that needs no external tool, for checking what an applied
//! ruleset lets through (the end-to-end tests use it; so can operators' scripts).

use std::io;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::ffi::IcmpSocket;

fn checksum(data: &[u8]) -> u16 {
    let mut sum = 0u32;
    for chunk in data.chunks(2) {
        let word = u16::from_be_bytes([chunk[0], *chunk.get(1).unwrap_or(&0)]);
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Sends one ICMP (or ICMPv6) echo request to `dst` from the calling thread's network
/// namespace and waits up to `timeout` for the matching reply. Needs `CAP_NET_RAW`.
pub fn icmp_echo(dst: IpAddr, id: u16, timeout: Duration) -> io::Result<bool> {
    let v6 = dst.is_ipv6();
    let sock = IcmpSocket::open(v6, timeout)?;
    let mut msg = vec![if v6 { 128 } else { 8 }, 0, 0, 0];
    msg.extend_from_slice(&id.to_be_bytes());
    msg.extend_from_slice(&1u16.to_be_bytes());
    msg.extend_from_slice(b"palisade");
    if !v6 {
        let c = checksum(&msg);
        msg[2..4].copy_from_slice(&c.to_be_bytes());
    }
    sock.send(&msg, dst)?;
    let deadline = Instant::now() + timeout;
    let mut buf = vec![0u8; 2048];
    while Instant::now() < deadline {
        let Some(n) = sock.recv(&mut buf)? else {
            return Ok(false);
        };
        let data = &buf[..n];
        let icmp = if v6 {
            data
        } else {
            let ihl = usize::from(data.first().map_or(5, |b| b & 0x0f)) * 4;
            data.get(ihl..).unwrap_or(&[])
        };
        let reply_type = if v6 { 129 } else { 0 };
        if icmp.len() >= 8 && icmp[0] == reply_type && icmp[4..6] == id.to_be_bytes() {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_is_the_internet_checksum() {
        // Echo request, id 1, seq 1: ones' complement of 0x0800 + 0x0001 + 0x0001.
        assert_eq!(checksum(&[8, 0, 0, 0, 0, 1, 0, 1]), !0x0802);
        let mut msg = vec![8, 0, 0, 0, 0x12, 0x34, 0, 1, 1, 2, 3];
        let c = checksum(&msg);
        msg[2..4].copy_from_slice(&c.to_be_bytes());
        assert_eq!(checksum(&msg), 0);
    }
}
