/*
 * openfile: the helper of examples/mycat. Installed setgid to a group that
 * may read some files, it opens one of them for a caller who may not, and
 * sends the open fd back over a unix socket (SCM_RIGHTS), then exits.
 *
 *   openfile SOCKFD PATH [r|w|rw]
 *
 * It runs with a privilege its caller lacks, so: it reads no environment
 * variable (it clears the environment first), opens read-only unless told
 * otherwise, never creates a file, refuses a symbolic link as the last
 * component and anything that is not a regular file, and keeps fds 0-2
 * occupied so that the file it opens can never land on them.
 *
 * The answer is one message in the privsep Channel framing: an 8-byte
 * header (payload length, fd count; little-endian u32 each) and a text
 * payload, "ok FD" with the file's fd attached (FD is its number here), or
 * "ERRNO reason" without an fd. Exit status 0 when the fd was sent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static void usage(void) {
  static const char text[] = "usage: openfile SOCKFD PATH [r|w|rw]\n";
  if (write(STDERR_FILENO, text, sizeof(text) - 1) < 0) _exit(2);
  _exit(2);
}

/* A decimal fd number >= 3, with nothing after it. */
static int parse_fd(const char *text) {
  char *end = NULL;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < 3 || value > INT_MAX) return -1;
  return (int)value;
}

static int parse_mode(const char *text) {
  if (strcmp(text, "r") == 0) return O_RDONLY;
  if (strcmp(text, "w") == 0) return O_WRONLY;
  if (strcmp(text, "rw") == 0) return O_RDWR;
  return -1;
}

/* Sends one framed message with `payload` and, if fd >= 0, the fd. */
static int send_answer(int sock, const char *payload, int fd) {
  size_t length = strlen(payload);
  unsigned char header[8];
  unsigned int count = fd >= 0 ? 1 : 0;
  for (int i = 0; i < 4; i++) {
    header[i] = (unsigned char)((length >> (8 * i)) & 0xff);
    header[4 + i] = (unsigned char)((count >> (8 * i)) & 0xff);
  }
  struct iovec iov[2] = {{header, sizeof(header)}, {(void *)payload, length}};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr msg;
  memset(&msg, 0, sizeof(msg));
  memset(&control, 0, sizeof(control));
  msg.msg_iov = iov;
  msg.msg_iovlen = 2;
  if (fd >= 0) {
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  }
  ssize_t n;
  do {
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  /* A unix stream socket with an empty buffer takes a message this small whole. */
  return n == (ssize_t)(sizeof(header) + length) ? 0 : -1;
}

static int fail(int sock, int err, const char *reason) {
  char payload[256];
  snprintf(payload, sizeof(payload), "%d %s", err, reason);
  send_answer(sock, payload, -1);
  return 1;
}

int main(int argc, char **argv) {
  /* Nothing from the caller's environment may steer a privileged program. */
  if (clearenv() != 0) _exit(2);

  /* With 0-2 closed by the caller, the file would become "stdout". */
  for (int fd = 0; fd < 3; fd++) {
    if (fcntl(fd, F_GETFD) < 0) {
      int null = open("/dev/null", O_RDWR);
      if (null != fd) _exit(2);
    }
  }

  if (argc < 3 || argc > 4) usage();
  int sock = parse_fd(argv[1]);
  int mode = argc == 4 ? parse_mode(argv[3]) : O_RDONLY;
  if (sock < 0 || mode < 0) usage();
  int type = 0;
  socklen_t len = sizeof(type);
  struct sockaddr_storage addr;
  socklen_t addrlen = sizeof(addr);
  if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM ||
      getsockname(sock, (struct sockaddr *)&addr, &addrlen) != 0 || addr.ss_family != AF_UNIX) {
    usage();
  }
  if (fcntl(sock, F_SETFD, FD_CLOEXEC) != 0) _exit(2);

  /* O_NONBLOCK: opening a FIFO must not hang before the type check. */
  int fd = open(argv[2], mode | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return fail(sock, err, err == ELOOP ? "is a symbolic link" : strerror(err));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return fail(sock, err, strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return fail(sock, S_ISDIR(st.st_mode) ? EISDIR : EINVAL, "not a regular file");
  }
  /* The status flags travel with the open file: give the caller blocking I/O. */
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    int err = errno;
    close(fd);
    return fail(sock, err, strerror(err));
  }
  char payload[32];
  snprintf(payload, sizeof(payload), "ok %d", fd);
  if (send_answer(sock, payload, fd) != 0) return 1;
  close(fd);
  return 0;
}
