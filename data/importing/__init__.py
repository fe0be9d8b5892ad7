"""Importing an office's own files, a module per job:

- reading:     files into rows of cells, within limits, in a child process (reading.read_table);
- checks:      the problems found and the bounds every field must meet before a write;
- cases:       the case list (plan_import, write_plan);
- lists:       evaluation and key-case lists keyed on 信访件编号 (plan_list, write_list);
- regions:     township and village lists (plan_regions, write_regions);
- boundaries:  township boundary GeoJSON (plan_boundaries, write_boundaries);
- coordinates: GCJ-02 to WGS-84;
- batches:     every write as a batch that can be undone, the import lock, demo removal.
"""
