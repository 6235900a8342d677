#include "dkv/ring/ring.hpp"
