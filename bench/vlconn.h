/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vlconn.h: a minimal blocking varlink client for the benchmark clients (vkclient, drvbench):
 * one request at a time on a unix socket, replies parsed with json-glib as a client would. */
#pragma once

#include <stdbool.h>

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct Conn {
        int fd;
        GString *in; /* bytes received, not yet returned */
        char iface[108];
} Conn;

/* A connected SOCK_STREAM unix socket to @path, or -1 (errno set). */
int unix_connect(const char *path);
/* Connects to the varlink socket @path; the interface is the socket's file name. NULL on
 * failure (errno set). */
Conn *conn_open(const char *path);
void conn_close(Conn *c);
/* Appends @v to @s as a JSON string. */
void json_str(GString *s, const char *v);
/* Sends {"method":"IFACE.@method","parameters":@params} with its NUL. */
int conn_send(Conn *c, const char *method, const char *params);
/* Reads one NUL-terminated message into c->in; returns its length, or -1 on EOF. */
gssize conn_read_message(Conn *c);
/* Reads one message; returns it parsed (NULL on EOF or bad JSON). */
JsonNode *conn_recv(Conn *c);
/* The reply's parameters object, or NULL for an error reply (printed when @loud). */
JsonObject *reply_params(JsonNode *reply, bool loud);
/* Call and return the reply node (NULL on any failure); the caller checks reply_params. */
JsonNode *conn_call(Conn *c, const char *method, const char *params);
/* Call; 0 for a good reply, -1 otherwise (the error printed when @loud). */
int call_ok(Conn *c, const char *method, const char *params, bool loud);
