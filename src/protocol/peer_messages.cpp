#include "dkv/protocol/peer_messages.hpp"
