// Helpers for the tests that run Kafka tools as processes (label kafka):
// `dimona-ledger kafka-mock` started and stopped as a user would, commands
// run through the shell with their stdout, stderr and exit code, and events
// appended through the log seam.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/log/log.h"
#include "tests/test_util.h"

namespace dimona::testing {

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

// A child process with its stdout on a pipe: started with fork/exec (no shell),
// stopped with a signal; the destructor kills it if a test forgot.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a test binary killed by ctest's timeout leaves no mock behind
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_fd_ = fds[0];
  }
  ~ChildProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The next line of its stdout, or "" when none came within timeout.
  std::string read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (size_t nl = pending_.find('\n'); nl != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        return line;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "";
      pollfd fd{out_fd_, POLLIN, 0};
      if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(out_fd_, buf, sizeof buf);
      if (n <= 0) return "";
      pending_.append(buf, static_cast<size_t>(n));
    }
  }

  // Sends signal and waits for the exit; the exit code, or -1 when killed by a signal.
  int stop(int signal) {
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string pending_;
};

// `dimona-ledger kafka-mock` with a topic (and more, of the same partition
// count); bootstrap() is what it printed.
class MockClusterProcess {
 public:
  MockClusterProcess(const std::string& topic, uint32_t partitions, const std::vector<std::string>& more_topics = {})
      : process_(arguments(topic, partitions, more_topics)) {
    bootstrap_ = process_.read_line(std::chrono::seconds(20));
  }
  const std::string& bootstrap() const { return bootstrap_; }
  std::string uri(const std::string& topic) const { return "kafka://" + bootstrap_ + "/" + topic; }
  int stop() { return process_.stop(SIGTERM); }

 private:
  static std::vector<std::string> arguments(const std::string& topic, uint32_t partitions,
                                            const std::vector<std::string>& more_topics) {
    std::vector<std::string> argv{DIMONA_CLI_PATH, "kafka-mock",   "--topic",
                                  topic,           "--partitions", std::to_string(partitions)};
    for (const std::string& t : more_topics) argv.insert(argv.end(), {"--topic", t});
    return argv;
  }
  ChildProcess process_;
  std::string bootstrap_;
};

// A loopback port nothing listens on (the kernel's pick, released).
inline uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// The SSIN-shaped key (11 digits) of the i-th test event.
inline std::string event_key(int i) { return std::to_string(85'010'100'000LL + 7 * i); }

// n events keyed event_key(i), appended through the seam to the partitions
// partition_for_key names, one batch per partition; i-th: id "dcl-i",
// recordedAt 1'750'000'000'000'000 + i µs, payload {"eventId":"dcl-i","n":i},
// source "interop.ndjson:i+1". pad_bytes > 0 adds "pad":"xx…" to each payload
// (compressible: librdkafka sends a batch uncompressed when LZ4 would not shrink it).
inline std::string event_payload(int i, size_t pad_bytes = 0) {
  std::string payload = R"({"eventId":"dcl-)" + std::to_string(i) + R"(","n":)" + std::to_string(i);
  if (pad_bytes > 0) payload += R"(,"pad":")" + std::string(pad_bytes, 'x') + '"';
  return payload + "}";
}

inline void append_events(const std::string& uri, uint32_t partitions, int n, size_t pad_bytes = 0) {
  LogOptions options;
  options.partitions = partitions;
  Result<std::unique_ptr<Log>> log = open_log(uri, options);
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  std::vector<std::string> keys, ids, payloads, sources;
  for (int i = 0; i < n; ++i) {
    keys.push_back(event_key(i));
    ids.push_back("dcl-" + std::to_string(i));
    payloads.push_back(event_payload(i, pad_bytes));
    sources.push_back("interop.ndjson:" + std::to_string(i + 1));
  }
  for (uint32_t p = 0; p < partitions; ++p) {
    std::vector<LogRecordDraft> drafts;
    for (int i = 0; i < n; ++i) {
      if (partition_for_key(keys[i], partitions) != p) continue;
      drafts.push_back(
          {ids[i], keys[i], "DeclarationAccepted", 2, Instant{1'750'000'000'000'000 + i}, payloads[i], sources[i]});
    }
    if (drafts.empty()) continue;
    Result<std::unique_ptr<LogProducer>> producer = (*log)->open_producer(p);
    ASSERT_TRUE(producer.is_ok()) << producer.status().to_string();
    Result<AppendOutcome> appended = (*producer)->append(drafts);
    ASSERT_TRUE(appended.is_ok()) << appended.status().to_string();
  }
}

}  // namespace dimona::testing
