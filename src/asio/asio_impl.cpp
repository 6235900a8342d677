// The one translation unit that compiles Asio's implementation
// (BOOST_ASIO_SEPARATE_COMPILATION is set for every target that links it).
#include <boost/asio/impl/src.hpp>
