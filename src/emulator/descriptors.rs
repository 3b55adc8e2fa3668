//! File descriptors: every client holds one, so they bound how many clients the emulator can
//! serve. At start the soft limit is raised to the hard limit (the soft default, often 1,024,
//! is far below what a fan-out test needs); when they run out anyway, a spare descriptor kept
//! for the purpose lets the accept loop take each waiting connection, answer it 503 and close
//! it, instead of leaving it hanging in the listen backlog or spinning on accept errors.

use std::fs::File;
use std::io;

/// The descriptor limit before and after [`raise_descriptor_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DescriptorLimit {
    pub from: u64,
    pub to: u64,
}

/// Raises this process's soft descriptor limit to its hard limit; `None` where there is no
/// such limit or it cannot be read.
#[cfg(unix)]
pub fn raise_descriptor_limit() -> Option<DescriptorLimit> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    let from = limit.rlim_cur;
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit only reads the struct.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return Some(DescriptorLimit {
                from,
                to: limit.rlim_max,
            });
        }
    }
    Some(DescriptorLimit { from, to: from })
}

#[cfg(not(unix))]
pub fn raise_descriptor_limit() -> Option<DescriptorLimit> {
    None
}

/// The soft descriptor limit, for messages.
#[cfg(unix)]
pub fn current_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: as in raise_descriptor_limit.
    (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0).then_some(limit.rlim_cur)
}

#[cfg(not(unix))]
pub fn current_limit() -> Option<u64> {
    None
}

/// Whether an accept error means the process (or system) is out of descriptors.
pub fn exhausted(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// One descriptor held back so that, with all others in use, a waiting connection can still be
/// accepted and refused.
pub struct Spare(Option<File>);

impl Spare {
    pub fn new() -> Spare {
        Spare(open())
    }

    /// Gives the descriptor up for one accept; `false` if there was none to give.
    pub fn release(&mut self) -> bool {
        self.0.take().is_some()
    }

    /// Takes a descriptor back after the refused connection closed (it may fail while others
    /// are using the one just freed; the next exhaustion then backs off instead).
    pub fn restore(&mut self) {
        if self.0.is_none() {
            self.0 = open();
        }
    }
}

fn open() -> Option<File> {
    File::open(if cfg!(unix) { "/dev/null" } else { "NUL" }).ok()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn raising_never_lowers_the_limit() {
        let before = current_limit();
        if let Some(raised) = raise_descriptor_limit() {
            assert!(raised.to >= raised.from);
            assert_eq!(current_limit(), Some(raised.to));
            assert!(before.is_none_or(|b| raised.to >= b));
        }
    }

    #[test]
    fn emfile_and_enfile_are_exhaustion_others_are_not() {
        assert!(exhausted(&io::Error::from_raw_os_error(libc::EMFILE)));
        assert!(exhausted(&io::Error::from_raw_os_error(libc::ENFILE)));
        assert!(!exhausted(&io::Error::from_raw_os_error(
            libc::ECONNABORTED
        )));
    }

    #[test]
    fn the_spare_is_given_up_once_and_restored() {
        let mut spare = Spare::new();
        assert!(spare.release());
        assert!(!spare.release());
        spare.restore();
        assert!(spare.release());
    }
}
