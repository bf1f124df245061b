//! Work a build does beside its steps that nothing waits for until the build ends (removing
//! old generations), or that a step cuts short when it needs the result (linking the published
//! site into a new generation): its thread runs at the lowest priority, so it takes a core the
//! build leaves idle instead of a share of busy ones. The build still waits for pruning before
//! it exits, so on a host whose cores other work keeps busy that wait grows. Not for work a
//! step waits for to finish: the parse cache's writer, lowered, made full builds 50 ms slower
//! (its step waited for it at the end).

/// Lowers the calling thread's priority to the least (nice 19). On Linux a thread has its own
/// nice value, and the system calls it makes (the unlinking) run at it too. Only a hint: where
/// the call fails, nothing changes.
pub fn lowest_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority reads its three integer arguments and touches no memory of ours;
    // on Linux, PRIO_PROCESS with 0 names the calling thread alone.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn only_the_calling_thread_is_lowered() {
        // SAFETY: getpriority reads its integer arguments only; errno is not consulted
        // because 19 and 0 are never -1.
        let nice = || unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        let before = nice();
        if before == 19 {
            // Run at nice 19 already (`nice -n 19 cargo test`): nothing here could tell.
            return;
        }
        let lowered = std::thread::spawn(move || {
            super::lowest_priority();
            nice()
        })
        .join()
        .expect("thread");
        assert_eq!(lowered, 19);
        assert_eq!(nice(), before, "the spawning thread keeps its priority");
    }
}
