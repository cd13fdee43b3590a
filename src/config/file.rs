//! Reading a configuration file: a regular file only, never more than [`MAX_FILE_LEN`] bytes,
//! never a read that can block.
//!
//! A named pipe (FIFO) blocks whoever opens it for reading until a writer appears, and a
//! character device such as `/dev/zero` never ends; either would hang the caller of
//! [`Config::from_path`](crate::Config::from_path) or the thread of a
//! [`FileWatch`](crate::FileWatch) (and whoever drops it). So the path's metadata is read
//! first (following symlinks) and anything but a regular file is refused before it is
//! opened. Where the platform's `O_NONBLOCK` is known, the file is also opened with it, so
//! that a path swapped for a FIFO between the check and the open does not block either (the
//! flag changes nothing for a regular file); the descriptor's own metadata is then checked
//! again, so that only a regular file is ever read.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

use crate::ConfigError;

/// The largest configuration file read: 16 MiB. A configuration is a few hundred bytes per
/// connection; anything this large is a mistake (or a device that never ends).
pub(crate) const MAX_FILE_LEN: u64 = 16 * 1024 * 1024;

/// The bytes of the regular file at `path` (symlinks followed), read once, whole.
///
/// # Errors
///
/// One problem with the whole document (an empty JSON path), in the file `path`: the path
/// cannot be read, is not a regular file, or holds more than [`MAX_FILE_LEN`] bytes.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, ConfigError> {
    read_regular(path).map_err(|message| ConfigError::new("", message).in_file(path))
}

fn read_regular(path: &Path) -> Result<Vec<u8>, String> {
    let cannot = |e: io::Error| format!("cannot read the file: {e}");
    regular(&std::fs::metadata(path).map_err(cannot)?)?;
    let file = open(path).map_err(cannot)?;
    regular(&file.metadata().map_err(cannot)?)?;
    let mut bytes = Vec::new();
    // One byte more than allowed, to tell a file at the limit from one past it (the file may
    // grow between the metadata and the read).
    file.take(MAX_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(too_large());
    }
    Ok(bytes)
}

fn too_large() -> String {
    format!(
        "larger than {} MiB: not read (a configuration is a few hundred bytes per connection)",
        MAX_FILE_LEN / (1024 * 1024)
    )
}

/// `Ok` for a regular file no larger than [`MAX_FILE_LEN`]; else what it is.
fn regular(metadata: &Metadata) -> Result<(), String> {
    let kind = metadata.file_type();
    if kind.is_file() {
        return if metadata.len() > MAX_FILE_LEN {
            Err(too_large())
        } else {
            Ok(())
        };
    }
    let what = if kind.is_dir() {
        "a directory"
    } else {
        special(&kind)
    };
    Err(format!(
        "not a regular file ({what}): only a regular file is read"
    ))
}

#[cfg(unix)]
fn special(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a named pipe"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else {
        "not a file"
    }
}

#[cfg(not(unix))]
fn special(_: &std::fs::FileType) -> &'static str {
    "not a file"
}

/// Opens `path` for reading, without blocking where the platform's `O_NONBLOCK` is known.
fn open(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    if let Some(flag) = O_NONBLOCK {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(flag);
    }
    options.open(path)
}

/// `O_NONBLOCK` of the platforms whose value is known here (part of each one's stable ABI):
/// Linux on the common architectures, and the BSDs with macOS. Elsewhere the metadata check
/// before the open stands alone.
#[cfg(unix)]
const O_NONBLOCK: Option<i32> = if cfg!(all(
    any(target_os = "linux", target_os = "android"),
    any(
        target_arch = "x86",
        target_arch = "x86_64",
        target_arch = "arm",
        target_arch = "aarch64",
        target_arch = "riscv64",
        target_arch = "powerpc64",
        target_arch = "s390x",
        target_arch = "loongarch64"
    )
)) {
    Some(0o4000)
} else if cfg!(any(
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
)) {
    Some(0x0004)
} else {
    None
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_is_read_whole() {
        let dir = std::env::temp_dir().join(format!("tup-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("config.json");
        std::fs::write(&file, b"{}").unwrap();
        assert_eq!(read(&file).unwrap(), b"{}");
        let err = read(&dir).unwrap_err();
        assert!(err.message().contains("a directory"), "{err}");
        assert_eq!(err.file(), Some(dir.as_path()));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
