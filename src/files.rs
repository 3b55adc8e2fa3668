//! Files the user names, read whole but never past a limit.
//!
//! A path may name a device or a pipe that never ends (`/dev/zero`), or a file of gigabytes:
//! every file `wps` takes whole (the config, certificates, keys, settings files) is read
//! through [`read_capped`], to one byte past its limit and no further. Shared by the library
//! (the emulator's start-up files, `SSL_CERT_FILE`) and the command-line tool; not part of
//! the library's documented surface.

use std::path::Path;

/// The most a named file may hold (the config, certificates, keys, settings): 1 MiB, a
/// thousand times what any of them needs.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The whole file, at most `limit` bytes: one byte past the limit is read, never the rest (a
/// device or a pipe may not end), and a larger file is an error of kind `FileTooLarge` saying
/// that no `what` is that big. Every file `wps` takes whole and the user names (the config,
/// certificates, keys, settings) is read through here.
pub fn read_capped(path: &Path, limit: u64, what: &str) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        const MIB: u64 = 1024 * 1024;
        let size = match limit {
            l if l >= MIB && l % MIB == 0 => format!("{} MiB", l / MIB),
            l => format!("{l} bytes"),
        };
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("larger than {size}, which no {what} is; is it the right path?"),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_capped_reads_up_to_the_limit_and_refuses_one_byte_more() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(read_capped(&path, 5, "test file").unwrap(), b"12345");
        let e = read_capped(&path, 4, "test file").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::FileTooLarge);
        assert_eq!(
            e.to_string(),
            "larger than 4 bytes, which no test file is; is it the right path?"
        );
        #[cfg(unix)]
        assert_eq!(
            read_capped(Path::new("/dev/zero"), MAX_FILE_BYTES, "key file")
                .unwrap_err()
                .to_string(),
            "larger than 1 MiB, which no key file is; is it the right path?"
        );
    }
}
