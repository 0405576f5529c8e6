/*
 * linkem: creating a tun device and setting its MTU and queue length with
 * the classic interface ioctls (on an ordinary socket, as ip(8) would).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include "linkem-tun.h"

static int set_interface(const char *name, unsigned long request, int value,
                         const char *what, char *err, size_t err_size)
{
    struct ifreq ifr = { 0 };
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        snprintf(err, err_size, "socket: %s", strerror(errno));
        return -1;
    }
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (request == SIOCSIFMTU) {
        ifr.ifr_mtu = value;
    } else {
        ifr.ifr_qlen = value;
    }
    int rc = ioctl(fd, request, &ifr);
    if (rc < 0) {
        snprintf(err, err_size, "%s: %s of %d: %s", name, what, value, strerror(errno));
    }
    close(fd);
    return rc;
}

int tun_create(const char *name, int mtu, int txqueuelen, char *err, size_t err_size)
{
    struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };

    if (strlen(name) >= IFNAMSIZ) {
        snprintf(err, err_size, "%s: interface names have at most %d characters",
                 name, IFNAMSIZ - 1);
        return -1;
    }
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_size, "/dev/net/tun: %s", strerror(errno));
        return -1;
    }
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        snprintf(err, err_size, "%s: cannot create the tun device: %s", name,
                 strerror(errno));
        close(fd);
        return -1;
    }
    if (set_interface(name, SIOCSIFMTU, mtu, "MTU", err, err_size) < 0 ||
        set_interface(name, SIOCSIFTXQLEN, txqueuelen, "queue length", err,
                      err_size) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}
