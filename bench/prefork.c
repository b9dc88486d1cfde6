/* C reference for bench/handoff.mjs: a master accepts on 127.0.0.1:<port>
 * and passes each connection with SCM_RIGHTS to one of <workers> forked
 * workers, round-robin; a worker writes the reply and closes.
 * Usage: prefork <port> <workers> */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char reply[] = "hello from a worker\n";

static void send_fd(int sock, int fd) {
  char byte = 'c';
  char control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {&byte, 1};
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  sendmsg(sock, &msg, 0);
}

static int recv_fd(int sock) {
  char byte;
  char control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {&byte, 1};
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return fd;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  int nworkers = atoi(argv[2]);
  int socks[64];
  signal(SIGPIPE, SIG_IGN);
  for (int i = 0; i < nworkers && i < 64; i++) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    if (fork() == 0) {
      close(sv[0]);
      for (;;) {
        int fd = recv_fd(sv[1]);
        if (fd < 0) _exit(0);
        (void)!write(fd, reply, sizeof(reply) - 1);
        close(fd);
      }
    }
    close(sv[1]);
    socks[i] = sv[0];
  }
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  int on = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(atoi(argv[1]));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(lfd, 511) != 0) return 1;
  printf("ready\n");
  fflush(stdout);
  for (unsigned n = 0;; n++) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) continue;
    send_fd(socks[n % nworkers], fd);
    close(fd);
  }
}
