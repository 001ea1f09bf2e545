// The takeover's network actions: the service address on an interface (rtnetlink) and the frames that tell
// the LAN about it at once (gratuitous ARP, unsolicited neighbour advertisement over AF_PACKET).
//
// Everything acts in the network namespace of the calling thread, because sockets belong to the namespace
// they were created in; tests rely on that to run these functions inside a namespace after setns().
// No printing: failures come back as -errno and the Swift side turns them into messages.
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/if_addr.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "CLinux.h"

// The kernel fills a dump message up to this size at most (netlink_recvmsg caps it near 32 KiB), so no read is cut.
enum { NETLINK_BUFFER = 32768 };

static int address_width(int family) {
    return family == AF_INET ? 4 : family == AF_INET6 ? 16 : -1;
}

// A netlink socket whose receive is bounded: an answer that never comes ends as -ETIMEDOUT, not a hang.
static int open_route_socket(void) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return -errno;
    struct timeval timeout = { .tv_sec = 3, .tv_usec = 0 };
    struct sockaddr_nl local = { .nl_family = AF_NETLINK };
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0
        || bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
        int error = -errno;
        close(fd);
        return error;
    }
    return fd;
}

static int send_to_kernel(int fd, struct nlmsghdr *message) {
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    ssize_t sent = sendto(fd, message, message->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel);
    if (sent < 0) return -errno;
    return sent == (ssize_t)message->nlmsg_len ? 0 : -EIO;
}

static ssize_t receive(int fd, char *buffer, size_t size) {
    ssize_t got;
    do { got = recv(fd, buffer, size, 0); } while (got < 0 && errno == EINTR);
    if (got < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? -ETIMEDOUT : -errno;
    return got;
}

static void add_attribute(struct nlmsghdr *message, int type, const void *data, int length) {
    struct rtattr *attribute = (struct rtattr *)((char *)message + NLMSG_ALIGN(message->nlmsg_len));
    attribute->rta_type = (unsigned short)type;
    attribute->rta_len = (unsigned short)RTA_LENGTH(length);
    memcpy(RTA_DATA(attribute), data, (size_t)length);
    message->nlmsg_len = NLMSG_ALIGN(message->nlmsg_len) + RTA_ALIGN(attribute->rta_len);
}

struct address_request {
    struct nlmsghdr header;
    struct ifaddrmsg address;
    // Room for IFA_LOCAL, IFA_ADDRESS, IFA_BROADCAST and IFA_FLAGS with their headers.
    char attributes[128];
};

// Waits for the kernel's acknowledgement of request `sequence`: 0 or -errno.
static int await_ack(int fd, unsigned int sequence) {
    char buffer[NETLINK_BUFFER] __attribute__((aligned(NLMSG_ALIGNTO)));
    for (int reads = 0; reads < 64; reads++) {
        ssize_t got = receive(fd, buffer, sizeof buffer);
        if (got < 0) return (int)got;
        int remaining = (int)got;
        for (struct nlmsghdr *message = (struct nlmsghdr *)buffer; NLMSG_OK(message, remaining);
             message = NLMSG_NEXT(message, remaining)) {
            if (message->nlmsg_seq != sequence || message->nlmsg_type != NLMSG_ERROR) continue;
            const struct nlmsgerr *error = NLMSG_DATA(message);
            return error->error;
        }
    }
    return -ETIMEDOUT;
}

// RTM_NEWADDR (create, or replace an existing address's lifetime) or RTM_DELADDR. `lifetime`: seconds of validity
// (and preference) the kernel counts down, after which it removes the address by itself; 0 for no limit.
static int address_request_send(int type, int flags, unsigned int ifindex, int family, const uint8_t *address, int prefix_length,
                                uint32_t lifetime) {
    int width = address_width(family);
    if (width < 0 || prefix_length < 1 || prefix_length > width * 8 || ifindex == 0) return -EINVAL;
    int add = type == RTM_NEWADDR;

    struct address_request request;
    memset(&request, 0, sizeof request);
    request.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
    request.header.nlmsg_type = (unsigned short)type;
    request.header.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | NLM_F_ACK | flags);
    request.header.nlmsg_seq = 1;
    request.address.ifa_family = (unsigned char)family;
    request.address.ifa_prefixlen = (unsigned char)prefix_length;
    request.address.ifa_scope = RT_SCOPE_UNIVERSE;
    request.address.ifa_index = ifindex;

    // IFA_LOCAL is the interface's own address; IFA_ADDRESS equals it on a broadcast link (it would be the peer
    // on a point-to-point one). Giving both also makes a removal match the prefix length, as `ip addr del` does.
    add_attribute(&request.header, IFA_LOCAL, address, width);
    add_attribute(&request.header, IFA_ADDRESS, address, width);
    if (add && family == AF_INET && prefix_length < 31) {
        // The subnet's broadcast, as `ip addr add ... brd +` sets it: hosts that still use the subnet
        // broadcast (DHCP relays, old discovery protocols) reach the service address too.
        uint32_t host_mask = 0xffffffffu >> prefix_length;
        uint32_t value;
        memcpy(&value, address, 4);
        uint32_t broadcast = htonl(ntohl(value) | host_mask);
        add_attribute(&request.header, IFA_BROADCAST, &broadcast, 4);
    }
    if (add && family == AF_INET6) {
        // No duplicate address detection: the address must serve the moment the takeover adds it, not after
        // DAD's second or so in "tentative" state, during which the kernel would refuse to use it as a source.
        // Duplicates are what epochs and fencing prevent.
        request.address.ifa_flags = IFA_F_NODAD;
        uint32_t address_flags = IFA_F_NODAD;
        add_attribute(&request.header, IFA_FLAGS, &address_flags, sizeof address_flags);
    }
    if (add && lifetime > 0) {
        struct ifa_cacheinfo cache;
        memset(&cache, 0, sizeof cache);
        cache.ifa_prefered = lifetime;
        cache.ifa_valid = lifetime;
        add_attribute(&request.header, IFA_CACHEINFO, &cache, sizeof cache);
    }

    int fd = open_route_socket();
    if (fd < 0) return fd;
    int result = send_to_kernel(fd, &request.header);
    if (result == 0) result = await_ack(fd, request.header.nlmsg_seq);
    close(fd);
    return result;
}

int understudy_netaddr_change(int add, unsigned int ifindex, int family, const uint8_t *address, int prefix_length) {
    return understudy_netaddr_add(add, ifindex, family, address, prefix_length, 0);
}

int understudy_netaddr_add(int add, unsigned int ifindex, int family, const uint8_t *address, int prefix_length, uint32_t lifetime) {
    // NLM_F_EXCL: an address already present is reported (EEXIST), never replaced, so a repeated takeover
    // tells the caller it had nothing to do.
    int result = address_request_send(add ? RTM_NEWADDR : RTM_DELADDR, add ? NLM_F_CREATE | NLM_F_EXCL : 0, ifindex, family,
                                      address, prefix_length, lifetime);
    if (result == 0) return 1;
    if (add && result == -EEXIST) return 0;
    if (!add && result == -EADDRNOTAVAIL) return 0;
    return result;
}

int understudy_netaddr_renew(unsigned int ifindex, int family, const uint8_t *address, int prefix_length, uint32_t lifetime) {
    if (lifetime == 0) return -EINVAL;
    return address_request_send(RTM_NEWADDR, NLM_F_REPLACE, ifindex, family, address, prefix_length, lifetime);
}

// One pass over an RTM_GETADDR dump: 1 found, 0 not found, -EAGAIN when the dump was interrupted by a
// change (NLM_F_DUMP_INTR) and must be redone, or another -errno.
static int scan_addresses(int fd, unsigned int ifindex, int family, const uint8_t *address, int prefix_length) {
    struct {
        struct nlmsghdr header;
        struct ifaddrmsg address;
    } request;
    memset(&request, 0, sizeof request);
    request.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
    request.header.nlmsg_type = RTM_GETADDR;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    request.header.nlmsg_seq = 2;
    request.address.ifa_family = (unsigned char)family;
    int result = send_to_kernel(fd, &request.header);
    if (result < 0) return result;

    int width = address_width(family);
    int found = 0, interrupted = 0;
    char buffer[NETLINK_BUFFER] __attribute__((aligned(NLMSG_ALIGNTO)));
    // Bounded: even thousands of addresses fit in far fewer reads; the receive timeout bounds each one.
    for (int reads = 0; reads < 4096; reads++) {
        ssize_t got = receive(fd, buffer, sizeof buffer);
        if (got < 0) return (int)got;
        int remaining = (int)got;
        for (struct nlmsghdr *message = (struct nlmsghdr *)buffer; NLMSG_OK(message, remaining);
             message = NLMSG_NEXT(message, remaining)) {
            if (message->nlmsg_seq != request.header.nlmsg_seq) continue;
            if (message->nlmsg_flags & NLM_F_DUMP_INTR) interrupted = 1;
            if (message->nlmsg_type == NLMSG_DONE) return interrupted && !found ? -EAGAIN : found;
            if (message->nlmsg_type == NLMSG_ERROR) return ((const struct nlmsgerr *)NLMSG_DATA(message))->error;
            if (message->nlmsg_type != RTM_NEWADDR) continue;
            const struct ifaddrmsg *entry = NLMSG_DATA(message);
            if (entry->ifa_index != ifindex || entry->ifa_family != family || entry->ifa_prefixlen != prefix_length) continue;
            // IPv4 keeps the interface's own address in IFA_LOCAL; IPv6 in IFA_ADDRESS (IFA_LOCAL only with a peer).
            const void *local = NULL, *plain = NULL;
            int attributes_length = (int)IFA_PAYLOAD(message);
            for (struct rtattr *attribute = IFA_RTA(entry); RTA_OK(attribute, attributes_length);
                 attribute = RTA_NEXT(attribute, attributes_length)) {
                if ((int)RTA_PAYLOAD(attribute) != width) continue;
                if (attribute->rta_type == IFA_LOCAL) local = RTA_DATA(attribute);
                if (attribute->rta_type == IFA_ADDRESS) plain = RTA_DATA(attribute);
            }
            const void *own = family == AF_INET && local ? local : plain ? plain : local;
            if (own && memcmp(own, address, (size_t)width) == 0) found = 1;
        }
    }
    return -ETIMEDOUT;
}

int understudy_netaddr_contains(unsigned int ifindex, int family, const uint8_t *address, int prefix_length) {
    if (address_width(family) < 0 || ifindex == 0) return -EINVAL;
    int fd = open_route_socket();
    if (fd < 0) return fd;
    int result = -EAGAIN;
    for (int attempt = 0; attempt < 3 && result == -EAGAIN; attempt++) {
        result = scan_addresses(fd, ifindex, family, address, prefix_length);
    }
    close(fd);
    return result;
}

int understudy_if_hwaddr(const char *name, uint8_t *out, int capacity, int *hardware_type) {
    if (strlen(name) >= IFNAMSIZ) return -ENODEV;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    int result = ioctl(fd, SIOCGIFHWADDR, &request);
    int error = result < 0 ? -errno : 0;
    close(fd);
    if (error < 0) return error;
    *hardware_type = request.ifr_hwaddr.sa_family;
    // SIOCGIFHWADDR does not say how long the address is; the six-byte kinds are the ones this daemon serves.
    int length = (request.ifr_hwaddr.sa_family == ARPHRD_ETHER || request.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK) ? 6 : 0;
    if (length > capacity) return -ENOBUFS;
    memcpy(out, request.ifr_hwaddr.sa_data, (size_t)length);
    return length;
}

// Sends one complete Ethernet frame (header included) out of `ifindex`. Protocol 0 makes the socket send-only:
// it is never handed a copy of received traffic.
static int send_frame(unsigned int ifindex, const uint8_t *destination, uint16_t ethertype, const void *frame, size_t length) {
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct sockaddr_ll link;
    memset(&link, 0, sizeof link);
    link.sll_family = AF_PACKET;
    link.sll_protocol = htons(ethertype);
    link.sll_ifindex = (int)ifindex;
    link.sll_halen = ETH_ALEN;
    memcpy(link.sll_addr, destination, ETH_ALEN);
    ssize_t sent = sendto(fd, frame, length, 0, (struct sockaddr *)&link, sizeof link);
    int error = sent < 0 ? -errno : (size_t)sent == length ? 0 : -EIO;
    close(fd);
    return error;
}

static void put16(uint8_t *at, uint16_t value) {
    at[0] = (uint8_t)(value >> 8);
    at[1] = (uint8_t)value;
}

int understudy_send_gratuitous_arp(unsigned int ifindex, const uint8_t *mac, const uint8_t *ipv4) {
    static const uint8_t broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    // 60 bytes: the Ethernet minimum without the FCS; the zero padding is ignored by receivers.
    uint8_t frame[60];
    memset(frame, 0, sizeof frame);
    memcpy(frame, broadcast, ETH_ALEN);
    memcpy(frame + 6, mac, ETH_ALEN);
    put16(frame + 12, ETH_P_ARP);
    uint8_t *arp = frame + 14;
    put16(arp, ARPHRD_ETHER);
    put16(arp + 2, ETH_P_IP);
    arp[4] = ETH_ALEN;
    arp[5] = 4;
    // A request, not a reply, as keepalived and the kernel itself (arp_notify) send it: Linux takes a request
    // whose sender and target IP are equal as gratuitous and overrides an existing entry at once, even within
    // the neighbour's locktime (arp_is_garp, since Linux 4.12); a gratuitous reply counts only when its target
    // hardware address equals the sender's, and Linux, like most hosts, creates no new entry from either
    // unless arp_accept is set. The request is also the form RFC 5227 (ARP Announcement) defines.
    put16(arp + 6, ARPOP_REQUEST);
    memcpy(arp + 8, mac, ETH_ALEN);       // sender hardware address
    memcpy(arp + 14, ipv4, 4);            // sender IP: the service address
    memset(arp + 18, 0, ETH_ALEN);        // target hardware address: ignored, zero as RFC 5227 says
    memcpy(arp + 24, ipv4, 4);            // target IP: the service address again
    return send_frame(ifindex, broadcast, ETH_P_ARP, frame, sizeof frame);
}

// The Internet checksum of the ICMPv6 message over the IPv6 pseudo-header (RFC 8200 section 8.1).
static uint16_t icmpv6_checksum(const uint8_t *source, const uint8_t *destination, const uint8_t *message, size_t length) {
    uint32_t sum = 0;
    for (int i = 0; i < 16; i += 2) sum += (uint32_t)(source[i] << 8 | source[i + 1]);
    for (int i = 0; i < 16; i += 2) sum += (uint32_t)(destination[i] << 8 | destination[i + 1]);
    sum += (uint32_t)length;
    sum += IPPROTO_ICMPV6;
    for (size_t i = 0; i + 1 < length; i += 2) sum += (uint32_t)(message[i] << 8 | message[i + 1]);
    if (length & 1) sum += (uint32_t)(message[length - 1] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

int understudy_send_unsolicited_na(unsigned int ifindex, const uint8_t *mac, const uint8_t *ipv6, int router) {
    // All-nodes: every host on the link hears it, and hosts with an entry for the address update it.
    static const uint8_t all_nodes_mac[ETH_ALEN] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
    static const uint8_t all_nodes[16] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 };
    enum { ICMP_LENGTH = 4 + 4 + 16 + 8 };  // header, flags, target, target link-layer address option
    uint8_t frame[14 + 40 + ICMP_LENGTH];
    memset(frame, 0, sizeof frame);
    memcpy(frame, all_nodes_mac, ETH_ALEN);
    memcpy(frame + 6, mac, ETH_ALEN);
    put16(frame + 12, ETH_P_IPV6);

    uint8_t *ip = frame + 14;
    ip[0] = 0x60;                          // version 6, traffic class and flow label 0
    put16(ip + 4, ICMP_LENGTH);
    ip[6] = IPPROTO_ICMPV6;
    ip[7] = 255;                           // receivers drop neighbour discovery with any other hop limit (RFC 4861 7.1.2)
    memcpy(ip + 8, ipv6, 16);              // source: the service address itself, as RFC 4861 7.2.6 sends it
    memcpy(ip + 24, all_nodes, 16);

    uint8_t *icmp = ip + 40;
    icmp[0] = 136;                         // neighbour advertisement
    icmp[1] = 0;
    // Override: replace the link-layer address a host has cached (the old primary's). Solicited stays clear
    // (it must for a multicast destination), so receivers mark the entry STALE and confirm it on next use.
    icmp[4] = (uint8_t)(0x20 | (router ? 0x80 : 0));
    memcpy(icmp + 8, ipv6, 16);            // target: the service address
    icmp[24] = 2;                          // option: target link-layer address
    icmp[25] = 1;                          // its length in units of 8 bytes
    memcpy(icmp + 26, mac, ETH_ALEN);
    put16(icmp + 2, icmpv6_checksum(ipv6, all_nodes, icmp, ICMP_LENGTH));
    return send_frame(ifindex, all_nodes_mac, ETH_P_IPV6, frame, sizeof frame);
}
