#include "dkv/wal/log_writer.hpp"
