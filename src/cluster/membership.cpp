#include "dkv/cluster/membership.hpp"
