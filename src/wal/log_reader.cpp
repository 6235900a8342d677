#include "dkv/wal/log_reader.hpp"
