//! The only `unsafe` code of the crate: what aya 0.14 does not offer.
//!
//! - [`HeapMmap`]: the policy heap (`pal_heap`, a `BPF_F_MMAPABLE` array of `u64`) mapped into
//!   this process, so a generation's tables are written with a memory copy instead of one
//!   syscall per word.
//! - [`delete_elem`]: `BPF_MAP_DELETE_ELEM`, to empty a slot of the array of maps (aya's
//!   `ArrayOfMaps` can only set slots).
//! - [`test_run`]: `BPF_PROG_TEST_RUN` on a program file descriptor, so that a cloned
//!   descriptor can run packets from any thread while another publishes generations (aya's
//!   `TestRun` needs the program object, which lives inside the loader).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::NonNull;

/// The policy heap mapped into this process.
#[derive(Debug)]
pub(crate) struct HeapMmap {
    base: NonNull<u64>,
    words: usize,
}

// SAFETY: the mapping is plain shared memory with no thread affinity; writes need `&mut self`
// and reads are volatile, so moving or sharing the handle between threads is sound.
#[allow(unsafe_code)]
unsafe impl Send for HeapMmap {}
#[allow(unsafe_code)]
unsafe impl Sync for HeapMmap {}

impl HeapMmap {
    /// Maps `words` words of the array map behind `fd` (which must be a `BPF_F_MMAPABLE` array
    /// with 8-byte values and at least `words` entries).
    #[allow(unsafe_code)]
    pub(crate) fn new(fd: BorrowedFd<'_>, words: usize) -> io::Result<HeapMmap> {
        let len = words
            .checked_mul(8)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "heap too large"))?;
        if len == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty heap"));
        }
        // SAFETY: mmap with a null hint and a valid fd has no memory-safety preconditions; the
        // result is checked before use. The kernel maps the array's value area (page aligned,
        // `words * 8` bytes, see `array_map_mmap`), which stays valid until `munmap` in `Drop`,
        // independently of the fd.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(ptr.cast::<u64>())
            .ok_or_else(|| io::Error::other("mmap returned a null pointer"))?;
        Ok(HeapMmap { base, words })
    }

    /// Number of words.
    pub(crate) fn len(&self) -> usize {
        self.words
    }

    /// Writes `data` at word offset `at`; `false` (nothing written) if it does not fit.
    #[allow(unsafe_code)]
    pub(crate) fn write(&mut self, at: usize, data: &[u64]) -> bool {
        let Some(end) = at.checked_add(data.len()) else {
            return false;
        };
        if end > self.words {
            return false;
        }
        // SAFETY: `at + data.len() <= self.words`, so the destination lies inside the mapping,
        // which is valid for writes (PROT_WRITE, MAP_SHARED) and u64-aligned (page aligned base).
        // The source is a distinct Rust slice, so the ranges do not overlap. BPF programs may
        // read the same memory concurrently; callers only write regions no published generation
        // refers to, so no reader observes these words until a later publish (a syscall, which
        // orders these stores before it).
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), self.base.as_ptr().add(at), data.len());
        }
        true
    }
}

impl Drop for HeapMmap {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: `base`/`words * 8` is exactly the mapping created in `new`, unmapped once.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.words * 8);
        }
    }
}

/// `BPF_MAP_DELETE_ELEM` of a `u32` key.
#[allow(unsafe_code)]
pub(crate) fn delete_elem(fd: BorrowedFd<'_>, key: u32) -> io::Result<()> {
    /// The `BPF_MAP_*_ELEM` member of `union bpf_attr`.
    #[repr(C)]
    struct ElemAttr {
        map_fd: u32,
        pad: u32,
        key: u64,
        value: u64,
        flags: u64,
    }
    const BPF_MAP_DELETE_ELEM: libc::c_long = 3;
    let attr = ElemAttr {
        map_fd: fd.as_raw_fd() as u32,
        pad: 0,
        key: std::ptr::from_ref(&key) as u64,
        value: 0,
        flags: 0,
    };
    // SAFETY: `attr` is a valid, initialised `bpf_attr` prefix of the size we pass; the kernel
    // reads `key` (4 bytes, alive for the call) and writes nothing back for this command.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_MAP_DELETE_ELEM,
            std::ptr::from_ref(&attr),
            std::mem::size_of::<ElemAttr>(),
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// What `BPF_PROG_TEST_RUN` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RunOut {
    /// The program's return value.
    pub(crate) retval: u32,
    /// Average nanoseconds per run.
    pub(crate) duration_ns: u32,
    /// Bytes written to `data_out`.
    pub(crate) data_size_out: u32,
    /// Bytes written to `ctx_out`.
    pub(crate) ctx_size_out: u32,
}

/// `BPF_PROG_TEST_RUN`: runs the program behind `fd` `repeat` times on `data_in` (and `ctx_in`),
/// filling `data_out` and `ctx_out` when given.
#[allow(unsafe_code)]
pub(crate) fn test_run(
    fd: BorrowedFd<'_>,
    data_in: &[u8],
    data_out: Option<&mut [u8]>,
    ctx_in: Option<&[u8]>,
    ctx_out: Option<&mut [u8]>,
    repeat: u32,
) -> io::Result<RunOut> {
    /// The `test` member of `union bpf_attr` (`BPF_PROG_TEST_RUN`).
    #[repr(C)]
    #[derive(Default)]
    struct TestAttr {
        prog_fd: u32,
        retval: u32,
        data_size_in: u32,
        data_size_out: u32,
        data_in: u64,
        data_out: u64,
        repeat: u32,
        duration: u32,
        ctx_size_in: u32,
        ctx_size_out: u32,
        ctx_in: u64,
        ctx_out: u64,
        flags: u32,
        cpu: u32,
        batch_size: u32,
        pad: u32,
    }
    const BPF_PROG_TEST_RUN: libc::c_long = 10;
    let size = |n: usize| {
        u32::try_from(n)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "buffer too large"))
    };
    let mut attr = TestAttr {
        prog_fd: fd.as_raw_fd() as u32,
        data_size_in: size(data_in.len())?,
        data_in: data_in.as_ptr() as u64,
        repeat,
        ..TestAttr::default()
    };
    if let Some(out) = data_out {
        attr.data_size_out = size(out.len())?;
        attr.data_out = out.as_mut_ptr() as u64;
    }
    if let Some(ctx) = ctx_in {
        attr.ctx_size_in = size(ctx.len())?;
        attr.ctx_in = ctx.as_ptr() as u64;
    }
    if let Some(ctx) = ctx_out {
        attr.ctx_size_out = size(ctx.len())?;
        attr.ctx_out = ctx.as_mut_ptr() as u64;
    }
    // SAFETY: `attr` is a valid `bpf_attr.test`; every pointer in it refers to a live buffer of
    // the length given beside it (`data_in`/`ctx_in` read, `data_out`/`ctx_out` written by the
    // kernel within those lengths), and all of them outlive the call. The kernel writes the
    // results back into `attr`, which we own mutably.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_PROG_TEST_RUN,
            std::ptr::from_mut(&mut attr),
            std::mem::size_of::<TestAttr>(),
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(RunOut {
        retval: attr.retval,
        duration_ns: attr.duration,
        data_size_out: attr.data_size_out,
        ctx_size_out: attr.ctx_size_out,
    })
}

/// `setns(fd, CLONE_NEWNET)`: moves the calling thread into the network namespace behind `fd`.
#[allow(unsafe_code)]
pub(crate) fn setns_net(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: setns has no memory-safety preconditions; it takes a descriptor we borrow for the
    // duration of the call and affects only the calling thread's namespace.
    let rc = unsafe { libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `if_nametoindex`: the index of the interface `name` in the calling thread's network
/// namespace.
#[allow(unsafe_code)]
pub(crate) fn ifindex(name: &str) -> io::Result<u32> {
    let c = std::ffi::CString::new(name)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface name contains NUL"))?;
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call; the function only
    // reads it.
    let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if index == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(index)
}
