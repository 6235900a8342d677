#pragma once
// The store's memory is hash tables and key/value blocks spread over
// hundreds of megabytes, reached in random order: with 4 KiB pages nearly
// every lookup also misses the TLB (and, in a virtual machine, walks two
// page tables). glibc's malloc backs its heap with transparent huge pages
// when the tunable glibc.malloc.hugetlb=1 is set, but it reads tunables only
// when a process starts (GLIBC_TUNABLES), so kv-node re-executes itself once
// with the tunable added. The process id, arguments, open descriptors and
// the rest of the environment stay the same.

#include <string>

namespace dkv::app {

enum class heap_pages {
  huge,         // re-executed with glibc.malloc.hugetlb=1
  preset,       // GLIBC_TUNABLES already names glibc.malloc.hugetlb: left as given
  off,          // --huge-pages off
  unavailable,  // the kernel has no transparent huge pages, or they are "never"
  privileged,   // setuid or file capabilities: glibc ignores GLIBC_TUNABLES
  failed,       // the re-execution failed: normal pages
};

struct heap_choice {
  heap_pages pages;
  int error = 0;  // errno of the failure, for heap_pages::failed
};

// With `wanted`, re-executes this program (does not return) unless the
// tunable is already set or huge pages are unavailable. Call it before
// opening anything, with main's untouched argv.
heap_choice use_huge_pages(bool wanted, char** argv);

// One line for the log: which pages the heap uses and why.
std::string describe(const heap_choice& c);

}  // namespace dkv::app
