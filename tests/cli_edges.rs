//! Edges of the command line: a reader that goes away mid-output.

mod support;

use std::process::{Command, Stdio};
use support::*;

/// `packet | head -c1`: the program ends quietly (exit 0 or 141, nothing on stderr), never with
/// a panic.
#[test]
fn a_closed_stdout_ends_the_program_quietly() {
    for args in [
        &["demo", "--format", "json"][..],
        &["demo"][..],
        &["diagram", "--format", "dot"][..],
    ] {
        let mut child = Command::new(BIN)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end before the program writes.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let code = out.status.code();
        assert!(
            code == Some(0) || code == Some(141),
            "{args:?}: exit {code:?}, stderr {}",
            text(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{args:?}: stderr {}",
            text(&out.stderr)
        );
    }
}
