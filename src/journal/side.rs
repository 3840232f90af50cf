//! Opening the files kept beside a journal — its snapshot, its lineage index — which anyone
//! who can write the journal's directory may have planted (DESIGN §12.8): never through a
//! symbolic link (`O_NOFOLLOW`: a link in their place is an error, so a cache there is simply
//! not used), and created only as new files (`O_EXCL`) under a unique temporary name, then
//! renamed over the old one (a rename replaces a link itself, never its target).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// The flags every side-file open adds: do not follow a link in the last component.
fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options
}

/// Opens a side file to read; a symbolic link there is an error (`ELOOP`).
pub(crate) fn open_read(path: &Path) -> io::Result<File> {
    no_follow(OpenOptions::new().read(true)).open(path)
}

/// Opens a side file to append to; a symbolic link there is an error.
pub(crate) fn open_append(path: &Path) -> io::Result<File> {
    no_follow(OpenOptions::new().append(true)).open(path)
}

/// Creates `path`, which must not exist (not even as a link).
pub(crate) fn create_new(path: &Path) -> io::Result<File> {
    no_follow(OpenOptions::new().write(true).create_new(true)).open(path)
}

/// A temporary name beside `path`, unique to this process and call (writers in other
/// processes or threads may be writing the same file).
pub(crate) fn temporary(path: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{}-{n}.tmp", std::process::id()));
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_never_followed_and_creation_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let link = dir.path().join("case.jsonl.lineage");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(open_read(&link).is_err());
        assert!(open_append(&link).is_err());
        assert!(create_new(&link).is_err());
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        let fresh = dir.path().join("fresh");
        assert!(create_new(&fresh).is_ok());
        assert!(create_new(&fresh).is_err(), "exclusive");
    }
}
