//! The CLI's one integration-test binary: runs the real `checkpoint` executable.

mod backup_under_load;
mod import;
mod link;
mod policy;
mod report;
mod retention;

use std::path::PathBuf;
use std::process::{Command, Output};

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn checkpoint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_checkpoint"))
        .args(args)
        .current_dir(workspace_root())
        .output()
        .expect("the checkpoint binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
