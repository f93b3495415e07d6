"""What a run means to the people who read it: the summary by group and the results workbook.

`by_group` is pure (facts in, a table out); `run_facts` builds the facts from a run folder;
`workbook` writes the Excel workbook. Above `audit` (it reads run folders through
`audit.run_folder`), below the CLI.
"""
