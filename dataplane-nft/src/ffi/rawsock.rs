//! Raw IP sockets (`IPPROTO_RAW`, header included): how the engine hands a crafted packet to the
//! local output path, where netfilter's output hook sees it before `sendto()` returns.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::IpAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A raw socket of one family whose packets carry their own IP header.
#[derive(Debug)]
pub(crate) struct RawSocket {
    fd: OwnedFd,
    v6: bool,
}

fn set_opt(fd: &OwnedFd, level: libc::c_int, opt: libc::c_int, v: libc::c_int) -> io::Result<()> {
    // SAFETY: `fd` is an open socket; the value is a c_int whose address and size are passed.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            opt,
            (&raw const v).cast::<libc::c_void>(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The index of interface `name` in the calling thread's network namespace.
pub(crate) fn if_index(name: &str) -> io::Result<u32> {
    let c = std::ffi::CString::new(name)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface name with NUL"))?;
    // SAFETY: `c` is a NUL-terminated string that outlives the call.
    let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if i == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(i)
}

impl RawSocket {
    /// Opens a raw socket for IPv4 or IPv6 (`IPPROTO_RAW` implies that the packet includes its
    /// IP header, for both families). Needs `CAP_NET_RAW`.
    pub(crate) fn open(v6: bool) -> io::Result<RawSocket> {
        let family = if v6 { libc::AF_INET6 } else { libc::AF_INET };
        // SAFETY: plain syscall; the descriptor is checked and then owned.
        let raw = unsafe {
            libc::socket(
                family,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::IPPROTO_RAW,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        if !v6 {
            set_opt(&fd, libc::SOL_SOCKET, libc::SO_BROADCAST, 1)?;
        }
        Ok(RawSocket { fd, v6 })
    }

    /// Sets the mark (`SO_MARK`) every packet sent from now on carries. Needs `CAP_NET_ADMIN`.
    pub(crate) fn set_mark(&self, mark: u32) -> io::Result<()> {
        set_opt(
            &self.fd,
            libc::SOL_SOCKET,
            libc::SO_MARK,
            mark as libc::c_int,
        )
    }

    /// Sends one packet (IP header included) towards `dst` (`scope_id` is the interface of an
    /// IPv6 link-local destination). A packet that netfilter drops on the output path makes this
    /// fail with `EPERM`.
    pub(crate) fn send(&self, packet: &[u8], dst: IpAddr, scope_id: u32) -> io::Result<()> {
        let n = match (dst, self.v6) {
            (IpAddr::V4(a), false) => {
                // SAFETY: sockaddr_in is plain data; all-zero is valid.
                let mut sa: libc::sockaddr_in = unsafe { zeroed() };
                sa.sin_family = libc::AF_INET as libc::sa_family_t;
                sa.sin_addr.s_addr = u32::from_ne_bytes(a.octets());
                // SAFETY: `packet` is readable for its length; `sa` is a valid sockaddr_in.
                unsafe {
                    libc::sendto(
                        self.fd.as_raw_fd(),
                        packet.as_ptr().cast::<libc::c_void>(),
                        packet.len(),
                        0,
                        (&raw const sa).cast::<libc::sockaddr>(),
                        size_of::<libc::sockaddr_in>() as libc::socklen_t,
                    )
                }
            }
            (IpAddr::V6(a), true) => {
                // SAFETY: sockaddr_in6 is plain data; all-zero is valid.
                let mut sa: libc::sockaddr_in6 = unsafe { zeroed() };
                sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sa.sin6_addr.s6_addr = a.octets();
                sa.sin6_scope_id = scope_id;
                // SAFETY: `packet` is readable for its length; `sa` is a valid sockaddr_in6.
                unsafe {
                    libc::sendto(
                        self.fd.as_raw_fd(),
                        packet.as_ptr().cast::<libc::c_void>(),
                        packet.len(),
                        0,
                        (&raw const sa).cast::<libc::sockaddr>(),
                        size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                    )
                }
            }
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "destination of the other family",
                ));
            }
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// A raw ICMP (IPv4) or ICMPv6 socket for echo requests; the kernel adds the IP header.
#[derive(Debug)]
pub(crate) struct IcmpSocket {
    fd: OwnedFd,
    v6: bool,
}

impl IcmpSocket {
    /// Opens the socket with a receive timeout.
    pub(crate) fn open(v6: bool, timeout: std::time::Duration) -> io::Result<IcmpSocket> {
        let (family, proto) = if v6 {
            (libc::AF_INET6, libc::IPPROTO_ICMPV6)
        } else {
            (libc::AF_INET, libc::IPPROTO_ICMP)
        };
        // SAFETY: plain syscall; the descriptor is checked and then owned.
        let raw = unsafe { libc::socket(family, libc::SOCK_RAW | libc::SOCK_CLOEXEC, proto) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let tv = libc::timeval {
            tv_sec: timeout.as_secs() as libc::time_t,
            tv_usec: libc::suseconds_t::from(timeout.subsec_micros() as i32),
        };
        // SAFETY: `tv` is a valid timeval whose size is passed.
        let rc = unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&raw const tv).cast::<libc::c_void>(),
                size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(IcmpSocket { fd, v6 })
    }

    /// Sends an ICMP message (header included; the checksum of ICMPv6 is the kernel's).
    pub(crate) fn send(&self, message: &[u8], dst: IpAddr) -> io::Result<()> {
        let raw = RawSocket {
            fd: self.fd.try_clone()?,
            v6: self.v6,
        };
        raw.send(message, dst, 0)
    }

    /// Receives one datagram (for IPv4 with its IP header); `Ok(None)` on timeout.
    pub(crate) fn recv(&self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        // SAFETY: `buf` is writable for its length.
        let n = unsafe {
            libc::recv(
                self.fd.as_raw_fd(),
                buf.as_mut_ptr().cast::<libc::c_void>(),
                buf.len(),
                0,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) {
                return Ok(None);
            }
            return Err(e);
        }
        Ok(Some(n as usize))
    }
}
