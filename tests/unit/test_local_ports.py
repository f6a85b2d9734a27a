"""The local stack refuses a port something listens on, and takes one that is only closing."""

from __future__ import annotations

import socket

import pytest

from tessera_local.stack import StackInUse, check_port_free


def test_a_port_something_listens_on_is_refused_naming_it() -> None:
    # Given a server listening on a port
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        # When the stack checks it, Then it is refused, naming the port and the variable
        with pytest.raises(StackInUse) as refused:
            check_port_free(port, "smtp")
    assert f"port {port} (smtp) is in use" in str(refused.value)
    assert "TESSERA_SMTP_PORT" in str(refused.value)


def test_a_port_whose_last_connection_is_closing_is_free() -> None:
    # Given a stopped server whose accepted connection it closed first (TIME_WAIT on its port),
    # as a stack stopped right after serving mail leaves it
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first: its end waits in TIME_WAIT
    server.close()
    client.close()

    # When the stack checks the port again, Then it may start on it
    check_port_free(port, "smtp")
