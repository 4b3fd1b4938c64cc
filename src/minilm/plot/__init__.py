"""Pictures of a collection: the cluster map (texts in 2D, coloured by cluster, labelled by central texts).

    from minilm.plot import cluster_map, save_map
    drawn = cluster_map(texts, vectors, clusters)   # projection + labels: what any renderer draws
    save_map(drawn, "map.png")                      # .png (matplotlib: the plot extra) or .html

scikit-learn (the index extra) makes the projection; matplotlib (the plot extra) only the PNG.
"""

from minilm.plot.cluster_map import ClusterLabel, ClusterMap, cluster_map
from minilm.plot.render import check_map_path, save_map

__all__ = ["ClusterLabel", "ClusterMap", "check_map_path", "cluster_map", "save_map"]
