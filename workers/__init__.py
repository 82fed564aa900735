"""rq queues and job functions, the embedded queue, and the periodic sweep."""
