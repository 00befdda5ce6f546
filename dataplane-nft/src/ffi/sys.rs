//! Thread-level namespace calls.

use std::io;

/// Moves the calling thread into a new, empty network namespace. The namespace lives as long as
/// something refers to it (this thread, its sockets, processes it spawns) and disappears with
/// the last reference, so nothing is left behind.
pub(crate) fn unshare_netns() -> io::Result<()> {
    // SAFETY: plain syscall; affects only the calling thread's namespace membership.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The calling thread's id (`gettid`), which names its network namespace as
/// `/proc/<tid>/ns/net` and can be given to `ip link set ... netns <tid>`.
pub(crate) fn gettid() -> i32 {
    // SAFETY: plain syscall without arguments.
    unsafe { libc::gettid() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gettid_names_the_calling_thread() {
        let main = gettid();
        let other = std::thread::spawn(gettid).join().unwrap();
        assert!(main > 0 && other > 0);
        assert_ne!(main, other);
    }
}
