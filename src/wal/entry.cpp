#include "dkv/wal/entry.hpp"
