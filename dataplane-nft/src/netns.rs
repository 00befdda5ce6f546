//! A worker thread in a private network namespace.
//!
//! The namespace is created with `unshare(CLONE_NEWNET)` by the thread itself, so it belongs to
//! that thread only; commands the thread spawns (`ip`, `nft`) run in it too. It has no name in
//! `/var/run/netns` and disappears when the thread ends and the last socket opened in it is
//! closed: nothing can be left behind, whatever happens to the caller.

use std::io;
use std::sync::mpsc;
use std::thread::JoinHandle;

use crate::ffi::{gettid, unshare_netns};

type Job = Box<dyn FnOnce() + Send>;

/// A thread living in its own network namespace, running closures on request.
#[derive(Debug)]
pub struct NetnsThread {
    jobs: Option<mpsc::Sender<Job>>,
    handle: Option<JoinHandle<()>>,
    tid: i32,
}

impl NetnsThread {
    /// Starts the thread and its namespace (needs `CAP_SYS_ADMIN`).
    pub fn spawn(name: &str) -> io::Result<NetnsThread> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::channel::<io::Result<i32>>();
        let handle = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                if let Err(e) = unshare_netns() {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
                let _ = ready_tx.send(Ok(gettid()));
                while let Ok(job) = rx.recv() {
                    job();
                }
            })?;
        let tid = ready_rx
            .recv()
            .map_err(|_| io::Error::other("namespace thread ended before it was ready"))??;
        Ok(NetnsThread {
            jobs: Some(jobs),
            handle: Some(handle),
            tid,
        })
    }

    /// The thread id: its namespace is `/proc/<tid>/ns/net`, and `ip link set DEV netns <tid>`
    /// moves an interface into it.
    pub fn tid(&self) -> i32 {
        self.tid
    }

    /// Runs `f` in the namespace and returns its result. Panics in `f` are returned as an
    /// error.
    pub fn run<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> io::Result<R> {
        let (tx, rx) = mpsc::channel();
        let job: Job = Box::new(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = tx.send(r);
        });
        self.jobs
            .as_ref()
            .ok_or_else(|| io::Error::other("namespace thread stopped"))?
            .send(job)
            .map_err(|_| io::Error::other("namespace thread stopped"))?;
        match rx.recv() {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(panic)) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "panic".to_owned());
                Err(io::Error::other(format!(
                    "panic in namespace thread: {msg}"
                )))
            }
            Err(_) => Err(io::Error::other("namespace thread stopped")),
        }
    }
}

impl Drop for NetnsThread {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
