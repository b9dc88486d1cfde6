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

#include "scm-rights.h"

static const char reply[] = "hello from a worker\n";

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
        int fd;
        if (recv_fds(sv[1], &fd, 1) != 1) _exit(0);
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
    send_fds(socks[n % nworkers], &fd, 1);
    close(fd);
  }
}
