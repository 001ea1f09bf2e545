#if canImport(Glibc)
import Glibc
#endif

/// The system's words for an errno value ("Connection refused"), for messages.
package func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}
