#include "dkv/wal/log_format.hpp"
