"""Local stand-ins for Yahoo: a websockets streamer on 127.0.0.1 and recorded chart JSON served
through a requests transport adapter. Nothing here touches the network."""
