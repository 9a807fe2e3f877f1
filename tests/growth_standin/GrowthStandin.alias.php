<?php
/** Special page names of the stand-in. */
$specialPageAliases = [];
$specialPageAliases['en'] = [
	'ManageMentors' => [ 'ManageMentors' ],
];
