//! A netfilter netlink socket: `socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER)` with the
//! options a large batch needs. std has no netlink sockets, hence the libc calls.

use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// `SOL_NETLINK` options.
const SOL_NETLINK: libc::c_int = 270;
const NETLINK_CAP_ACK: libc::c_int = 10;
const NETLINK_EXT_ACK: libc::c_int = 11;

/// An open, bound netfilter netlink socket.
#[derive(Debug)]
pub(crate) struct NlSocket {
    fd: OwnedFd,
}

fn cvt(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

fn set_int_opt(
    fd: &OwnedFd,
    level: libc::c_int,
    opt: libc::c_int,
    v: libc::c_int,
) -> io::Result<()> {
    // SAFETY: `fd` is an open socket; the option value is a c_int whose address and size are
    // passed.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            opt,
            (&raw const v).cast::<libc::c_void>(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
    .map(|_| ())
}

impl NlSocket {
    /// Opens and binds a socket (the kernel picks the port id), asks for short acks with
    /// extended error messages, and sets a receive timeout so that a lost reply cannot hang the
    /// caller.
    pub(crate) fn open() -> io::Result<NlSocket> {
        // SAFETY: plain syscall; the returned descriptor is checked and then owned.
        let raw = cvt(unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_NETFILTER,
            )
        })?;
        // SAFETY: `raw` is a fresh descriptor nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: sockaddr_nl is plain data; all-zero is a valid value (pid 0: kernel assigns).
        let mut addr: libc::sockaddr_nl = unsafe { zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: `addr` is a valid sockaddr_nl whose size is passed.
        cvt(unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&raw const addr).cast::<libc::sockaddr>(),
                size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        })?;
        let mut len = size_of::<libc::sockaddr_nl>() as libc::socklen_t;
        // SAFETY: `addr` and `len` are writable and describe a sockaddr_nl.
        cvt(unsafe {
            libc::getsockname(
                fd.as_raw_fd(),
                (&raw mut addr).cast::<libc::sockaddr>(),
                &raw mut len,
            )
        })?;
        // Best effort: older kernels lack these options; replies are then just longer.
        let _ = set_int_opt(&fd, SOL_NETLINK, NETLINK_CAP_ACK, 1);
        let _ = set_int_opt(&fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
        let tv = libc::timeval {
            tv_sec: 30,
            tv_usec: 0,
        };
        // SAFETY: `tv` is a valid timeval whose size is passed.
        cvt(unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&raw const tv).cast::<libc::c_void>(),
                size_of::<libc::timeval>() as libc::socklen_t,
            )
        })?;
        Ok(NlSocket { fd })
    }

    /// Makes the send buffer able to hold `bytes` in one message (and the receive buffer large
    /// enough for the errors of a large batch). Uses the `*FORCE` options (root) and falls back
    /// to the capped ones.
    pub(crate) fn reserve(&self, bytes: usize) -> io::Result<()> {
        let want =
            libc::c_int::try_from(bytes.saturating_add(64 * 1024)).unwrap_or(libc::c_int::MAX);
        if set_int_opt(&self.fd, libc::SOL_SOCKET, libc::SO_SNDBUFFORCE, want).is_err() {
            set_int_opt(&self.fd, libc::SOL_SOCKET, libc::SO_SNDBUF, want)?;
        }
        let rcv = want.clamp(1 << 20, 64 << 20);
        if set_int_opt(&self.fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, rcv).is_err() {
            set_int_opt(&self.fd, libc::SOL_SOCKET, libc::SO_RCVBUF, rcv)?;
        }
        Ok(())
    }

    /// Sends `bytes` as one netlink datagram to the kernel.
    pub(crate) fn send(&self, bytes: &[u8]) -> io::Result<()> {
        // SAFETY: sockaddr_nl is plain data; all-zero addresses the kernel (pid 0).
        let mut addr: libc::sockaddr_nl = unsafe { zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: `bytes` is readable for its length; `addr` is a valid sockaddr_nl.
        let n = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                bytes.as_ptr().cast::<libc::c_void>(),
                bytes.len(),
                0,
                (&raw const addr).cast::<libc::sockaddr>(),
                size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        if n as usize != bytes.len() {
            return Err(io::Error::other("netlink sendto sent a partial message"));
        }
        Ok(())
    }

    /// Receives one datagram into `buf` (blocking up to the receive timeout); returns its
    /// length.
    pub(crate) fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            // SAFETY: `buf` is writable for its length.
            let n = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr().cast::<libc::c_void>(),
                    buf.len(),
                    0,
                )
            };
            if n >= 0 {
                return Ok(n as usize);
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }
}
