# Shared by the bench scripts in this folder (bench/linkage has its own common.sh): the
# machine a figure was taken on, and the release binary it measured. Source it from the
# repository root; it defines functions only.

# The cores and CPU model, memory, the load average now (other work on the machine slows
# what is measured), and the kernel.
describe_machine() {
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
    echo "memory:  $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "kernel:  $(uname -sr)"
}

# Sets `bin` to the release `checkpoint` binary and says which commit it is: CHECKPOINT_BIN
# when set (e.g. one built from a clean checkout), else built here, under CARGO_TARGET_DIR
# when that is set.
release_binary() {
    if [[ -n "${CHECKPOINT_BIN:-}" ]]; then
        bin=$CHECKPOINT_BIN
    else
        echo "+ cargo build --release -p checkpoint-cli"
        cargo build --release -q -p checkpoint-cli
        bin=${CARGO_TARGET_DIR:-target}/release/checkpoint
    fi
    echo "binary:  $bin ($(git log -1 --format='%h %cs' 2>/dev/null || echo 'unknown commit'))"
}
