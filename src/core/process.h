// Process plumbing shared by the long-running binaries (eml-enclave,
// eml-host, eml-kms): stopping on SIGINT/SIGTERM and the ready file.
//
// Thread-safety: BlockStopSignals must run in main() before any thread is
// started (threads inherit the mask); the rest may be called from any thread.
#ifndef EML_CORE_PROCESS_H_
#define EML_CORE_PROCESS_H_

#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "core/status.h"

namespace eml {

// Blocks SIGINT and SIGTERM in the calling thread (and so in every thread it
// starts) and ignores SIGPIPE, so that only StopSignalWaiter sees them.
void BlockStopSignals();

// A thread that waits for SIGINT or SIGTERM and then calls `on_stop` once
// with the signal number. The caller joins it after its server returned.
std::thread StopSignalWaiter(std::function<void(int)> on_stop);

// Writes `contents` to PATH.tmp and renames it to `path`, so a reader that
// polls for `path` never sees a partial file. Io naming the path on failure.
Status WriteFileAtomically(const std::string& path, std::string_view contents);

}  // namespace eml

#endif  // EML_CORE_PROCESS_H_
