// One-line log records for eml-host on stderr.
//
// The host logs connection events and byte counts only, never payload bytes
// (it cannot read them anyway: everything it relays is end-to-end encrypted,
// and logging ciphertext would only help an observer). Lines longer than
// 1 KiB are truncated.
//
// Thread-safety: each line is one write(2), so lines from concurrent threads
// do not interleave.
#ifndef EML_HOST_LOG_H_
#define EML_HOST_LOG_H_

namespace eml::host {

void LogLine(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace eml::host

#endif  // EML_HOST_LOG_H_
