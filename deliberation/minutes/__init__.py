"""Consensus minutes (会议纪要): assembled from the data, drafted, published, exported."""
